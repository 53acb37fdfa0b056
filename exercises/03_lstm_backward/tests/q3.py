from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = [1]

@test_case(points=None, hidden=False)
def test_q3_public(candidate_grads):
    from lstm_src.feedback import check_candidate_grads
    check_candidate_grads(candidate_grads)

