from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = [1]

@test_case(points=None, hidden=False)
def test_q1_public(output_grads):
    from lstm_src.feedback import check_output_grads
    check_output_grads(output_grads)

