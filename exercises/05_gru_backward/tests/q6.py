from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = [2]

@test_case(points=None, hidden=False)
def test_q6_public(gru_bptt):
    from lstm_src.feedback import check_gru_bptt
    check_gru_bptt(gru_bptt)

