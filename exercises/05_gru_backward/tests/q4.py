from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = [1]

@test_case(points=None, hidden=False)
def test_q4_public(candidate_backward):
    from lstm_src.feedback import check_candidate_backward
    check_candidate_backward(candidate_backward)

