from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = [1]

@test_case(points=None, hidden=False)
def test_q4_public(cell_update):
    from lstm_src.feedback import check_cell_update
    check_cell_update(cell_update)

