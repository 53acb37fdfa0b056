from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = [2]

@test_case(points=None, hidden=False)
def test_q5_public(gru_step_backward):
    from lstm_src.feedback import check_gru_step_backward
    check_gru_step_backward(gru_step_backward)

