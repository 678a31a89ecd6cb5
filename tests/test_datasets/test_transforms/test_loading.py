"""LoadReIDImage and LoadCachedHeatmaps."""
import os
import pickle

import cv2
import numpy as np
import pytest

from vireid_toolbox.datasets.pose_cache import PoseCache, PoseCacheError
from vireid_toolbox.datasets.transforms import LoadCachedHeatmaps, LoadReIDImage


def test_load_colour_image(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (12, 6, 3), dtype=np.uint8)
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, img)
    out = LoadReIDImage()(dict(img_path=path))
    np.testing.assert_array_equal(out['img'], img)  # BGR as stored, lossless PNG
    assert out['img_shape'] == (12, 6) and out['ori_shape'] == (12, 6)


def test_single_channel_image_becomes_three_equal_channels(tmp_path):
    grey = np.random.default_rng(1).integers(0, 256, (10, 5), dtype=np.uint8)
    path = str(tmp_path / 'ir.png')
    cv2.imwrite(path, grey)
    img = LoadReIDImage()(dict(img_path=path))['img']
    assert img.shape == (10, 5, 3) and img.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], grey)


def test_missing_and_unreadable_images_are_named(tmp_path):
    missing = str(tmp_path / 'nope.jpg')
    with pytest.raises(FileNotFoundError, match=f'image {missing} does not exist'):
        LoadReIDImage()(dict(img_path=missing))
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a jpeg at all')
    with pytest.raises(ValueError, match=f'{broken} is not a readable image'):
        LoadReIDImage()(dict(img_path=str(broken)))
    with pytest.raises(KeyError, match='needs "img_path"'):
        LoadReIDImage()(dict(pid=3))


@pytest.fixture
def cache_dir(tmp_path):
    """A 3-image cache whose rows hold recognisable values."""
    paths = ['cam1/0001/0001.jpg', 'cam3/0001/0001.jpg', 'cam6/0002/0003.jpg']
    cache = PoseCache.create(str(tmp_path / 'cache'), paths, pose_model={'name': 'toy', 'v': 2},
                             num_joints=16, heatmap_size=(4, 8))
    for row in range(len(paths)):
        heatmaps = np.full((16, 8, 4), 0.25 * row, np.float32)
        heatmaps[row, 2, 1] = 1.0
        keypoints = np.stack([np.arange(16), np.full(16, row), np.ones(16)], 1).astype(np.float32)
        cache.write(row, heatmaps, keypoints)
    cache.flush()
    return str(tmp_path / 'cache')


def test_cached_heatmaps_are_looked_up_by_relative_path(cache_dir):
    transform = LoadCachedHeatmaps(cache_dir, expected_pose_model={'name': 'toy'})
    out = transform(dict(img_path='/data/cam6/0002/0003.jpg', rel_path='cam6/0002/0003.jpg'))
    assert out['heatmaps'].dtype == np.float16 and out['heatmaps'].shape == (16, 8, 4)
    assert out['heatmaps'][2, 2, 1] == 1.0 and out['heatmaps'][0, 0, 0] == 0.5
    assert out['keypoints'].dtype == np.float32
    np.testing.assert_array_equal(out['keypoints'][:, 1], np.full(16, 2.0))
    cache = transform.cache
    transform(dict(rel_path='cam1/0001/0001.jpg'))
    assert transform.cache is cache  # opened once per process


def test_cached_heatmaps_pickle_without_the_open_cache(cache_dir):
    transform = LoadCachedHeatmaps(cache_dir)
    transform(dict(rel_path='cam1/0001/0001.jpg'))
    clone = pickle.loads(pickle.dumps(transform))
    assert clone._cache is None
    out = clone(dict(rel_path='cam3/0001/0001.jpg'))
    assert out['heatmaps'][1, 2, 1] == 1.0
    assert transform._owner_pid == os.getpid()


def test_cached_heatmaps_errors(cache_dir, tmp_path):
    with pytest.raises(KeyError, match='needs "rel_path"'):
        LoadCachedHeatmaps(cache_dir)(dict(img_path='x.jpg'))
    with pytest.raises(PoseCacheError, match='cam2/0001/0001.jpg is not in the pose cache'):
        LoadCachedHeatmaps(cache_dir)(dict(rel_path='cam2/0001/0001.jpg'))
    with pytest.raises(PoseCacheError, match=r"name='toy', but the config names 'hrnet'"):
        LoadCachedHeatmaps(cache_dir, {'name': 'hrnet'})(dict(rel_path='cam1/0001/0001.jpg'))
    with pytest.raises(PoseCacheError, match='no pose cache at'):
        LoadCachedHeatmaps(str(tmp_path / 'absent'))(dict(rel_path='cam1/0001/0001.jpg'))
