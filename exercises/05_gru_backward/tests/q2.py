from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(interpolation_backward):
    from lstm_src.feedback import check_interpolation_backward
    check_interpolation_backward(interpolation_backward)

