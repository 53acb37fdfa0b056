from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = [1]

@test_case(points=None, hidden=False)
def test_q5_public(finite_difference_jacobian):
    from lstm_src.feedback import check_finite_difference_jacobian
    check_finite_difference_jacobian(finite_difference_jacobian)

