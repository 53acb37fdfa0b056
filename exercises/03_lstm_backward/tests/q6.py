from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = [1]

@test_case(points=None, hidden=False)
def test_q6_public(gradient_check):
    from lstm_src.feedback import check_gradient_check
    check_gradient_check(gradient_check, seeds=(0,))

