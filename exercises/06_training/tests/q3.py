from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = [2]

@test_case(points=None, hidden=False)
def test_q3_public(tbptt_gradients):
    from lstm_src.feedback import check_tbptt_gradients
    check_tbptt_gradients(tbptt_gradients)

