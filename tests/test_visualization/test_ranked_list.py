"""Ranked-list drawing: geometry, frame colours by identity, captions, stacking."""
import cv2
import numpy as np
import pytest

from vireid_toolbox.visualization.ranked_list import (BACKGROUND, MATCH_COLOR, MISMATCH_COLOR,
                                                      QUERY_COLOR, RankedListStyle,
                                                      draw_ranked_list, save_image, stack_rows)

STYLE = RankedListStyle(tile_size=(32, 64), border=3, gap=4, caption_height=24)


def solid(value):
    return np.full((50, 20, 3), value, dtype=np.uint8)


def cell_x(index, style=STYLE):
    """Left edge of cell ``index`` (0 = the query, followed by three gaps)."""
    cell_w = style.cell_size[0]
    return 0 if index == 0 else cell_w + 3 * style.gap + (index - 1) * (cell_w + style.gap)


def test_row_geometry_frames_and_tiles():
    gallery = [solid(10), solid(60), solid(110)]
    row = draw_ranked_list(solid(200), gallery, [0.1, 0.25, 0.5], query_id=7,
                           gallery_ids=[7, 3, None], style=STYLE)
    cell_w, cell_h = STYLE.cell_size
    assert cell_w == 32 + 2 * 3 and cell_h == 64 + 2 * 3 + 24
    assert row.shape == (cell_h, 4 * cell_w + 5 * STYLE.gap, 3) and row.dtype == np.uint8
    expected_frames = [QUERY_COLOR, MATCH_COLOR, MISMATCH_COLOR, BACKGROUND]
    for index, (frame, value) in enumerate(zip(expected_frames, [200, 10, 60, 110])):
        x = cell_x(index)
        # the four frame sides, then the tile interior holding the (resized) image
        for y, xx in ((1, x + cell_w // 2), (3 + 64 + 1, x + cell_w // 2), (30, x + 1),
                      (30, x + cell_w - 2)):
            assert tuple(row[y, xx]) == frame, (index, y, xx)
        assert (row[3:3 + 64, x + 3:x + 3 + 32] == value).all(), index
        caption = row[3 + 64 + 3:, x:x + cell_w]
        assert (caption != 255).any(), f'cell {index} has no caption'


def test_without_identities_no_frame_is_coloured():
    row = draw_ranked_list(solid(0), [solid(90)] * 2, [0.2, 0.3], style=STYLE)
    for index in (1, 2):
        x = cell_x(index)
        assert tuple(row[1, x + 5]) == BACKGROUND


def test_image_files_are_read(tmp_path):
    path = str(tmp_path / 'person.png')
    cv2.imwrite(path, solid(77))
    row = draw_ranked_list(path, [path], [0.0], query_id=1, gallery_ids=[1], style=STYLE)
    x = cell_x(1)
    assert (row[3:3 + 64, x + 3:x + 3 + 32] == 77).all()
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        draw_ranked_list(str(tmp_path / 'missing.jpg'), [path], [0.0], style=STYLE)


def test_lengths_must_agree():
    with pytest.raises(ValueError, match='2 gallery images but 1 distances'):
        draw_ranked_list(solid(0), [solid(1)] * 2, [0.1], style=STYLE)
    with pytest.raises(ValueError, match='1 gallery ids'):
        draw_ranked_list(solid(0), [solid(1)] * 2, [0.1, 0.2], query_id=1, gallery_ids=[1],
                         style=STYLE)


def test_stacking_pads_short_rows_and_saves_png(tmp_path):
    long_row = draw_ranked_list(solid(0), [solid(1)] * 3, [0.1, 0.2, 0.3], style=STYLE)
    short_row = draw_ranked_list(solid(0), [solid(1)], [0.1], style=STYLE)
    figure = stack_rows([long_row, short_row], gap=8)
    assert figure.shape == (2 * STYLE.cell_size[1] + 8, long_row.shape[1], 3)
    assert (figure[-1, short_row.shape[1]:] == 255).all()  # padding right of the short row
    assert np.array_equal(figure[:long_row.shape[0]], long_row)
    path = save_image(str(tmp_path / 'ranked.png'), figure)
    assert np.array_equal(cv2.imread(path), figure)  # PNG is lossless
    with pytest.raises(ValueError, match='no rows'):
        stack_rows([])
