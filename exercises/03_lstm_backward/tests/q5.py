from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = [2]

@test_case(points=None, hidden=False)
def test_q5_public(lstm_backward):
    from lstm_src.feedback import check_lstm_backward
    check_lstm_backward(lstm_backward)

