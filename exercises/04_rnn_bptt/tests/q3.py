from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = [2]

@test_case(points=None, hidden=False)
def test_q3_public(rnn_bptt):
    from lstm_src.feedback import check_rnn_bptt
    check_rnn_bptt(rnn_bptt)

