from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = [1]

@test_case(points=None, hidden=False)
def test_q1_public(softmax_ce_grad):
    from lstm_src.feedback import check_softmax_ce_grad
    check_softmax_ce_grad(softmax_ce_grad)

