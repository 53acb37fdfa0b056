from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = [1]

@test_case(points=None, hidden=False)
def test_q4_public(evaluate):
    from lstm_src.feedback import check_evaluate
    check_evaluate(evaluate)

