from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = [1]

@test_case(points=None, hidden=False)
def test_q1_public(adam_step):
    from lstm_src.feedback import check_adam_step
    check_adam_step(adam_step)

