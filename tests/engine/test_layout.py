"""Reading order on hand-made boxes."""

import numpy as np

from ocr_engine.layout import reading_order


def rect(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


def order(*rects):
    return reading_order(np.array(rects, dtype=np.float32))


def test_rows_top_to_bottom_and_cells_left_to_right():
    # given shuffled: a receipt row "TOTAL ... 15.90" under a title
    assert order(rect(400, 60, 480, 80), rect(10, 10, 300, 30), rect(10, 60, 120, 80)) == [1, 2, 0]


def test_a_slightly_skewed_row_stays_one_row():
    assert order(rect(300, 64, 400, 86), rect(10, 60, 200, 80), rect(10, 90, 200, 110)) == [1, 0, 2]


def test_two_columns_of_running_text_are_read_one_after_the_other():
    left = [rect(10, 100 + 30 * i, 300, 120 + 30 * i) for i in range(4)]
    right = [rect(340, 100 + 30 * i, 630, 120 + 30 * i) for i in range(4)]
    title = rect(10, 20, 630, 60)
    boxes = [right[0], left[0], right[1], left[1], right[2], left[2], right[3], left[3], title]
    got = order(*boxes)
    assert got == [8, 1, 3, 5, 7, 0, 2, 4, 6]


def test_a_table_of_short_cells_is_read_row_by_row():
    rows = [[rect(10, 100 + 30 * i, 200, 120 + 30 * i), rect(400, 100 + 30 * i, 460, 120 + 30 * i)] for i in range(4)]
    flat = [box for row in rows for box in row]
    assert order(*flat) == list(range(8))


def test_no_boxes_no_order():
    assert reading_order(np.zeros((0, 4, 2), np.float32)) == []
