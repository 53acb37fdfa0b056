from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = [2]

@test_case(points=None, hidden=False)
def test_q6_public(train_char_model):
    from lstm_src.feedback import check_train_char_model
    check_train_char_model(train_char_model)

