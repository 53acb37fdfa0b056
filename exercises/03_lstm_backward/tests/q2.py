from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(sigmoid_gate_grads):
    from lstm_src.feedback import check_sigmoid_gate_grads
    check_sigmoid_gate_grads(sigmoid_gate_grads)

