from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(elementwise_jacobian):
    from lstm_src.feedback import check_elementwise_jacobian
    check_elementwise_jacobian(elementwise_jacobian)

