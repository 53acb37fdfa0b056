from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = [1]

@test_case(points=None, hidden=False)
def test_q6_public(sequence_forward):
    from lstm_src.feedback import check_sequence_forward
    check_sequence_forward(sequence_forward)

