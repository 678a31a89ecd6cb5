"""ADMG drawing: masks land where they are high, and the figure holds every panel."""
import numpy as np

from vireid_toolbox.visualization import draw_admg, overlay_mask


def test_overlay_is_hot_where_the_mask_peaks():
    image = np.full((40, 20, 3), 128, dtype=np.uint8)
    mask = np.zeros((8, 4), dtype=np.float32)
    mask[1, 3] = 1.0  # top right
    out = overlay_mask(image, mask, alpha=0.6)
    assert out.shape == image.shape and out.dtype == np.uint8
    top_right, bottom_left = out[7, 17], out[35, 2]
    assert top_right[0] > top_right[2]  # red end of the jet map
    assert bottom_left[2] > bottom_left[0]  # blue end


def test_draw_admg_renders_image_masks_and_weights():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (96, 48, 3), dtype=np.uint8)
    masks = dict(top=rng.random((12, 6)), mid=rng.random((12, 6)))
    groups = dict(top=[7, 8, 9, 13, 12], mid=[3, 14, 11, 15])
    with_two = draw_admg(image, masks, rng.random(9), groups, title='x')
    with_one = draw_admg(image, dict(top=masks['top']), rng.random(5), dict(top=groups['top']))
    assert with_two.ndim == 3 and with_two.shape[2] == 3 and with_two.dtype == np.uint8
    assert with_two.shape[1] > with_one.shape[1]  # one more mask panel
    assert with_two.std() > 0
