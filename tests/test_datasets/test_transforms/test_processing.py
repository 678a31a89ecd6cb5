"""Geometric and photometric transforms, including heatmaps and keypoints that follow the image."""
import copy

import numpy as np
import pytest

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS, render_gaussian_heatmaps
from vireid_toolbox.datasets.transforms import (ChannelExchange, ChannelRandomErasing,
                                                RandomGrayscale, ReIDPadCrop, ReIDRandomErasing,
                                                ReIDRandomFlip, ReIDResize)
from vireid_toolbox.registry import TRANSFORMS
from vireid_toolbox.structures import aligned_heatmaps

IMG_W, IMG_H = 40, 80
HM_W, HM_H = 20, 40
SIGMA = 1.5


def random_image(seed=0, shape=(IMG_H, IMG_W, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def keypoints_16(seed=0, margin=12):
    """16 joints well inside the image (so no Gaussian tail crosses the border), all distinct."""
    rng = np.random.default_rng(seed)
    kps = np.ones((16, 3), np.float32)
    kps[:, 0] = rng.uniform(margin, IMG_W - 1 - margin, 16)
    kps[:, 1] = np.linspace(margin, IMG_H - 1 - margin, 16) + rng.uniform(-1, 1, 16)
    return kps


def sample(seed=0):
    kps = keypoints_16(seed)
    return dict(img=random_image(seed), img_path=f'img{seed}.jpg', img_shape=(IMG_H, IMG_W),
                keypoints=kps,
                heatmaps=render_gaussian_heatmaps(kps, (IMG_W, IMG_H), (HM_W, HM_H), SIGMA))


def peak_in_image(heatmap, img_w, img_h):
    """Sub-pixel peak of one map, in image pixels.

    A parabola through the logs of the arg-max and its neighbours finds the
    centre of a Gaussian exactly, in each direction.
    """
    hm_h, hm_w = heatmap.shape
    y, x = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert 0 < x < hm_w - 1 and 0 < y < hm_h - 1, 'peak on the border'
    logs = np.log(np.maximum(heatmap, 1e-12))

    def vertex(left, mid, right):
        return 0.5 * (left - right) / (left - 2 * mid + right)

    cx = x + vertex(logs[y, x - 1], logs[y, x], logs[y, x + 1])
    cy = y + vertex(logs[y - 1, x], logs[y, x], logs[y + 1, x])
    return (cx + 0.5) * img_w / hm_w - 0.5, (cy + 0.5) * img_h / hm_h - 0.5


def assert_peaks_on_keypoints(results, tolerance):
    img_h, img_w = results['img'].shape[:2]
    maps = aligned_heatmaps(results['heatmaps'], results.get('heatmap_shift'))
    for j, (x, y, _) in enumerate(results['keypoints']):
        px, py = peak_in_image(maps[j], img_w, img_h)
        assert abs(px - x) < tolerance and abs(py - y) < tolerance, (j, (px, py), (x, y))


# ----------------------------------------------------------------------------- resize
def test_resize_image_keypoints_and_untouched_heatmaps():
    results = sample()
    before = copy.deepcopy(results)
    out = ReIDResize(scale=(20, 60))(results)
    assert out['img'].shape == (60, 20, 3) and out['img_shape'] == (60, 20)
    assert out['scale_factor'] == (0.5, 0.75)
    # pixel-centre convention: x' + 0.5 = (x + 0.5) * ratio
    x, y = before['keypoints'][:, 0], before['keypoints'][:, 1]
    np.testing.assert_allclose(out['keypoints'][:, 0], (x + 0.5) * 0.5 - 0.5, rtol=0, atol=1e-5)
    np.testing.assert_allclose(out['keypoints'][:, 1], (y + 0.5) * 0.75 - 0.5, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(out['keypoints'][:, 2], before['keypoints'][:, 2])
    # the maps cover the field of view, which a resize keeps
    np.testing.assert_array_equal(out['heatmaps'], before['heatmaps'])
    assert_peaks_on_keypoints(out, tolerance=0.01)


def test_resize_rejects_bad_scale():
    with pytest.raises(ValueError, match=r'scale must be \(width, height\)'):
        ReIDResize(scale=(144, ))
    with pytest.raises(ValueError, match='scale'):
        ReIDResize(scale=(0, 10))


# ----------------------------------------------------------------------------- pad + crop
def test_pad_crop_translates_image_with_zero_fill():
    np.random.seed(3)
    results = sample()
    img = results['img'].copy()
    out = ReIDPadCrop(padding=6)(results)
    dx, dy = out['crop_offset']
    assert -6 <= dx <= 6 and -6 <= dy <= 6 and (dx, dy) != (0, 0)
    expected = np.zeros_like(img)
    ys, xs = np.mgrid[0:IMG_H, 0:IMG_W]
    src_x, src_y = xs - dx, ys - dy
    inside = (src_x >= 0) & (src_x < IMG_W) & (src_y >= 0) & (src_y < IMG_H)
    expected[inside] = img[src_y[inside], src_x[inside]]
    np.testing.assert_array_equal(out['img'], expected)
    assert out['img'].shape == img.shape


def test_pad_crop_offsets_cover_the_full_range_and_follow_the_global_seed():
    transform = ReIDPadCrop(padding=3)
    np.random.seed(0)
    offsets = [transform(sample())['crop_offset'] for _ in range(300)]
    xs, ys = {dx for dx, _ in offsets}, {dy for _, dy in offsets}
    assert xs == set(range(-3, 4)) and ys == set(range(-3, 4))
    np.random.seed(0)
    again = [transform(sample())['crop_offset'] for _ in range(300)]
    assert again == offsets


def test_pad_crop_moves_keypoints_and_heatmaps_together():
    for seed in range(5):
        np.random.seed(seed)
        results = sample(seed)
        kps_before, maps_before = results['keypoints'].copy(), results['heatmaps'].copy()
        out = ReIDPadCrop(padding=10)(results)
        dx, dy = out['crop_offset']
        np.testing.assert_allclose(out['keypoints'][:, :2], kps_before[:, :2] + (dx, dy), atol=1e-5)
        # the maps stay as they are; the shift they owe is the image's, in map pixels
        np.testing.assert_array_equal(out['heatmaps'], maps_before)
        assert out['heatmap_shift'] == pytest.approx((dx * HM_W / IMG_W, dy * HM_H / IMG_H))
        # moved, they equal maps rendered afresh at the moved joints (up to the interpolation
        # of a shift by a fraction of a map pixel), and their peaks sit on the joints
        moved = aligned_heatmaps(out['heatmaps'], out['heatmap_shift'])
        fresh = render_gaussian_heatmaps(out['keypoints'], (IMG_W, IMG_H), (HM_W, HM_H), SIGMA)
        assert moved.dtype == np.float32 and moved.shape == fresh.shape
        np.testing.assert_allclose(moved, fresh, atol=0.03)
        assert moved.min() >= 0
        assert_peaks_on_keypoints(out, tolerance=0.6)


def test_pad_crop_adds_to_a_pending_shift():
    np.random.seed(3)
    transform = ReIDPadCrop(padding=10)
    once = transform(sample())
    twice = transform(dict(once))
    (dx1, dy1), (dx2, dy2) = once['crop_offset'], twice['crop_offset']
    assert twice['heatmap_shift'] == pytest.approx(((dx1 + dx2) * HM_W / IMG_W,
                                                    (dy1 + dy2) * HM_H / IMG_H))


def test_pad_crop_without_heatmaps_owes_no_shift():
    results = sample()
    del results['heatmaps']
    assert 'heatmap_shift' not in ReIDPadCrop(padding=10)(results)


@pytest.mark.parametrize('shape', [(12, 6, 3), (12, 6), (5, 3, 1)])
@pytest.mark.parametrize('pad_val', [0, 7, (1, 2, 3)])
def test_pad_crop_is_the_window_of_the_padded_image(shape, pad_val):
    """Every offset, paddings larger than the image included, as zero-pad then crop."""
    import cv2
    img = random_image(shape=shape)
    height, width = shape[:2]
    for padding in (2, 4, 7):
        padded = cv2.copyMakeBorder(img, padding, padding, padding, padding,
                                    cv2.BORDER_CONSTANT, value=pad_val).reshape(
                                        (height + 2 * padding, width + 2 * padding, *shape[2:]))
        transform = ReIDPadCrop(padding=padding, pad_val=pad_val)
        for x in range(2 * padding + 1):
            for y in range(2 * padding + 1):
                transform._random_offset = lambda x=x, y=y: (x, y)
                out = transform(dict(img=img))['img']
                np.testing.assert_array_equal(out, padded[y:y + height, x:x + width])


def test_pad_crop_zero_padding_is_identity():
    results = sample()
    before = copy.deepcopy(results)
    out = ReIDPadCrop(padding=0)(results)
    np.testing.assert_array_equal(out['img'], before['img'])
    np.testing.assert_array_equal(out['heatmaps'], before['heatmaps'])
    assert out['heatmap_shift'] == (0, 0)


# ----------------------------------------------------------------------------- flip
def test_flip_mirrors_and_swaps_left_right_joints():
    results = sample()
    img, kps = results['img'].copy(), results['keypoints'].copy()
    out = ReIDRandomFlip(prob=1.0)(results)
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    swapped = list(range(16))
    for left, right in MPII_FLIP_PAIRS:
        swapped[left], swapped[right] = right, left
    for j in range(16):
        # new joint j (e.g. the right ankle) is the mirrored old twin (the left ankle)
        src = swapped[j]
        assert out['keypoints'][j, 0] == pytest.approx(IMG_W - 1 - kps[src, 0], abs=1e-5)
        assert out['keypoints'][j, 1] == pytest.approx(kps[src, 1], abs=1e-5)
    assert swapped[0] == 5 and swapped[10] == 15 and swapped[7] == 7
    # mirroring a Gaussian rendered at x gives exactly the one rendered at W - 1 - x
    fresh = render_gaussian_heatmaps(out['keypoints'], (IMG_W, IMG_H), (HM_W, HM_H), SIGMA)
    np.testing.assert_allclose(out['heatmaps'], fresh, atol=1e-5)
    assert 'heatmap_shift' not in out


def test_flip_after_pad_crop_mirrors_the_moved_maps():
    """Flipping maps that owe a shift = mirroring the maps already moved."""
    for seed in range(3):
        np.random.seed(seed)
        cropped = ReIDPadCrop(padding=10)(sample(seed))
        moved = aligned_heatmaps(cropped['heatmaps'], cropped['heatmap_shift'])
        out = ReIDRandomFlip(prob=1.0)(dict(cropped))
        dx, dy = cropped['heatmap_shift']
        assert out['heatmap_shift'] == (-dx, dy)
        order = list(range(16))
        for left, right in MPII_FLIP_PAIRS:
            order[left], order[right] = right, left
        np.testing.assert_allclose(aligned_heatmaps(out['heatmaps'], out['heatmap_shift']),
                                   moved[order, :, ::-1], atol=1e-6)


def test_flip_with_prob_zero_is_identity_and_records_no_flip():
    results = sample()
    before = copy.deepcopy(results)
    out = ReIDRandomFlip(prob=0.0)(results)
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['img'], before['img'])
    np.testing.assert_array_equal(out['heatmaps'], before['heatmaps'])


def test_flip_probability_follows_the_global_seed():
    transform = ReIDRandomFlip(prob=0.5)
    np.random.seed(1)
    flips = [transform(dict(img=random_image()))['flip'] for _ in range(400)]
    assert 0.4 < np.mean(flips) < 0.6
    np.random.seed(1)
    assert [transform(dict(img=random_image()))['flip'] for _ in range(400)] == flips


def test_flip_rejects_heatmaps_with_too_few_joints():
    results = dict(img=random_image(), img_path='x.jpg', heatmaps=np.zeros((4, 8, 4), np.float32))
    with pytest.raises(ValueError, match='flip_pairs name joint 15 but x.jpg has 4 joints'):
        ReIDRandomFlip(prob=1.0)(results)


def test_bad_heatmap_shape_is_named():
    results = dict(img=random_image(), img_path='y.jpg', heatmaps=np.zeros((8, 4), np.float32))
    with pytest.raises(ValueError, match=r'ReIDPadCrop: heatmaps of y.jpg must be K x h x w'):
        ReIDPadCrop(padding=2)(results)


def test_resize_pad_crop_flip_chain_keeps_every_peak_on_its_joint():
    pipeline = [TRANSFORMS.build(cfg) for cfg in (
        dict(type='ReIDResize', scale=(64, 128)),
        dict(type='ReIDPadCrop', padding=10),
        dict(type='ReIDRandomFlip', prob=1.0),
    )]
    for seed in range(4):
        np.random.seed(seed)
        results = sample(seed)
        original = results['keypoints'].copy()
        for transform in pipeline:
            results = transform(results)
        assert results['img'].shape == (128, 64, 3)
        assert_peaks_on_keypoints(results, tolerance=1.0)
        # the right wrist (10) of the output is where the mirrored, moved left wrist (15) went
        dx, dy = results['crop_offset']
        x15 = (original[15, 0] + 0.5) * 64 / IMG_W - 0.5 + dx
        y15 = (original[15, 1] + 0.5) * 128 / IMG_H - 0.5 + dy
        assert results['keypoints'][10, 0] == pytest.approx(64 - 1 - x15, abs=1e-4)
        assert results['keypoints'][10, 1] == pytest.approx(y15, abs=1e-4)


# ----------------------------------------------------------------------------- erasing
def erased_mask(before, after):
    return np.any(before != after, axis=2)


def test_random_erasing_fills_one_rectangle_of_bounded_size():
    transform = ReIDRandomErasing(prob=1.0, area_ratio=(0.05, 0.3), min_aspect=0.5,
                                  mode='const', fill=(1, 2, 3))
    np.random.seed(0)
    img = np.full((60, 30, 3), 200, np.uint8)
    for _ in range(50):
        out = transform(dict(img=img))['img']
        changed = erased_mask(img, out)
        ys, xs = np.nonzero(changed)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        assert changed.sum() == h * w  # one full rectangle
        assert np.all(out[changed] == (1, 2, 3))
        # sizes are rounded, so allow one pixel of slack on each side
        assert (h - 1) * (w - 1) <= 0.3 * 60 * 30 and (h + 1) * (w + 1) >= 0.05 * 60 * 30
        assert 0.5 * (w - 1) <= h + 1 and h - 1 <= (w + 1) / 0.5
    assert np.all(img == 200)  # input untouched


def test_random_erasing_prob_zero_and_random_mode():
    img = np.full((60, 30, 3), 200, np.uint8)
    assert np.array_equal(ReIDRandomErasing(prob=0.0)(dict(img=img))['img'], img)
    np.random.seed(2)
    out = ReIDRandomErasing(prob=1.0, mode='rand')(dict(img=img))['img']
    changed = erased_mask(img, out)
    assert changed.sum() > 0.02 * 60 * 30 * 0.5
    assert len(np.unique(out[changed])) > 10  # random values, not one constant


def test_random_erasing_is_reproducible_under_the_global_seed():
    transform = ReIDRandomErasing(prob=0.5)
    img = random_image()
    np.random.seed(5)
    first = [transform(dict(img=img))['img'] for _ in range(10)]
    np.random.seed(5)
    second = [transform(dict(img=img))['img'] for _ in range(10)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_random_erasing_rejects_bad_arguments():
    with pytest.raises(ValueError, match='area_ratio'):
        ReIDRandomErasing(area_ratio=(0.5, 0.2))
    with pytest.raises(ValueError, match='mode'):
        ReIDRandomErasing(mode='noise')
    with pytest.raises(ValueError, match='fill has 3 values but g.jpg has 1 channels'):
        np.random.seed(0)
        ReIDRandomErasing(prob=1.0, mode='const')(
            dict(img=np.zeros((40, 20, 1), np.uint8), img_path='g.jpg'))


def test_channel_random_erasing_fill_is_cajs_value_after_normalisation():
    transform = ChannelRandomErasing(prob=1.0)
    fill_bgr = np.asarray(transform.fill)
    rgb = fill_bgr[::-1] / 255
    normalised = (rgb - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(normalised, [0.4914, 0.4822, 0.4465], atol=1e-6)
    np.random.seed(0)
    img = np.zeros((60, 30, 3), np.uint8)
    out = transform(dict(img=img))['img']
    assert np.all(out[erased_mask(img, out)] == np.round(fill_bgr).astype(np.uint8))


# ----------------------------------------------------------------------------- CAJ channels
def test_channel_exchange_copies_one_channel_uniformly():
    transform = ChannelExchange(gray=2)
    img = random_image(1)
    np.random.seed(0)
    seen = []
    for _ in range(600):
        out = transform(dict(img=img.copy()))['img']
        assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
        source = [c for c in range(3) if np.array_equal(out[..., 0], img[..., c])]
        assert len(source) == 1
        seen.append(source[0])
    share = np.bincount(seen, minlength=3) / len(seen)
    assert np.all(np.abs(share - 1 / 3) < 0.07)


def test_channel_exchange_grey_branch_is_cajs_luma():
    img = random_image(2)
    b, g, r = (img[..., c].astype(float) for c in range(3))
    luma = np.round(0.2989 * r + 0.587 * g + 0.114 * b)
    np.random.seed(0)
    outcomes = {'channel': 0, 'grey': 0, 'unchanged': 0}
    for _ in range(400):
        out = ChannelExchange(gray=3, gray_prob=1.0)(dict(img=img.copy()))['img']
        if np.array_equal(out[..., 0], luma):
            outcomes['grey'] += 1
        else:
            outcomes['channel'] += 1
    assert 0.17 < outcomes['grey'] / 400 < 0.33
    np.random.seed(0)
    for _ in range(200):  # CAJ's ChannelAdapGray with p=0: index 3 leaves the image alone
        out = ChannelExchange(gray=3, gray_prob=0.0)(dict(img=img.copy()))['img']
        if np.array_equal(out, img):
            outcomes['unchanged'] += 1
    assert 0.15 < outcomes['unchanged'] / 200 < 0.35


def test_random_grayscale():
    img = random_image(3)
    out = RandomGrayscale(prob=1.0)(dict(img=img.copy()))['img']
    b, g, r = (img[..., c].astype(float) for c in range(3))
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], np.round(0.2989 * r + 0.587 * g + 0.114 * b))
    assert np.array_equal(RandomGrayscale(prob=0.0)(dict(img=img.copy()))['img'], img)
    with pytest.raises(ValueError, match='RandomGrayscale needs a 3-channel image'):
        RandomGrayscale(prob=1.0)(dict(img=img[..., 0], img_path='z.jpg'))
