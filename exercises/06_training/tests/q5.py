from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = [1]

@test_case(points=None, hidden=False)
def test_q5_public(sample_indices):
    from lstm_src.feedback import check_sample_indices
    check_sample_indices(sample_indices)

