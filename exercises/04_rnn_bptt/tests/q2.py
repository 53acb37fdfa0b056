from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(rnn_step_backward):
    from lstm_src.feedback import check_rnn_step_backward
    check_rnn_step_backward(rnn_step_backward)

