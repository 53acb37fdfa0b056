from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = [1]

@test_case(points=None, hidden=False)
def test_q2_public(clip_by_global_norm):
    from lstm_src.feedback import check_clip_by_global_norm
    check_clip_by_global_norm(clip_by_global_norm)

