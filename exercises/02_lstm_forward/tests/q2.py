from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(softmax):
    from lstm_src.feedback import check_softmax
    check_softmax(softmax, extreme=True)

