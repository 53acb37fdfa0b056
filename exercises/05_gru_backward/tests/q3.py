from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = [1]

@test_case(points=None, hidden=False)
def test_q3_public(gate_backward):
    from lstm_src.feedback import check_gate_backward
    check_gate_backward(gate_backward)

