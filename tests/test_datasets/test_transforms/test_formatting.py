"""PackReIDInputs, alone and at the end of a configured pipeline."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from vireid_toolbox.datasets.pose_cache import render_gaussian_heatmaps
from vireid_toolbox.datasets.transforms import PackReIDInputs
from vireid_toolbox.structures import INFRARED, ReIDDataSample


def test_pack_image_label_and_metainfo():
    img = np.random.default_rng(0).integers(0, 256, (8, 4, 3), dtype=np.uint8)
    results = dict(img=img, img_path='/d/cam3/0007/0001.jpg', gt_label=5, modality=INFRARED,
                   camera=3, img_shape=(8, 4), ori_shape=(16, 8), pid=7)
    packed = PackReIDInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 8, 4)
    np.testing.assert_array_equal(inputs.numpy(), img.transpose(2, 0, 1))
    assert isinstance(sample, ReIDDataSample)
    assert sample.gt_label.dtype == torch.long and sample.gt_label.shape == ()
    assert int(sample.gt_label) == 5
    assert sample.metainfo == dict(img_path='/d/cam3/0007/0001.jpg', modality=INFRARED, camera=3,
                                   img_shape=(8, 4), ori_shape=(16, 8), flip=False)
    assert 'heatmaps' not in sample


@pytest.mark.parametrize('shape', [(8, 4), (8, 4, 1), (8, 4, 4)])
def test_pack_any_number_of_channels(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    inputs = PackReIDInputs()(dict(img=img))['inputs']
    np.testing.assert_array_equal(inputs.numpy(), img.reshape(8, 4, -1).transpose(2, 0, 1))


def test_pack_heatmaps_and_tta_flag():
    heatmaps = np.random.default_rng(1).random((16, 4, 2)).astype(np.float16)
    results = dict(img=np.zeros((8, 4, 3), np.uint8), heatmaps=heatmaps, flip=True, tta=True)
    sample = PackReIDInputs()(results)['data_samples']
    # as loaded (the model converts the batch on its device), and no shift owed
    assert sample.heatmaps.dtype == torch.float16 and sample.heatmaps.shape == (16, 4, 2)
    np.testing.assert_array_equal(sample.heatmaps.numpy(), heatmaps)
    assert sample.heatmap_shift.dtype == torch.float32
    assert sample.heatmap_shift.tolist() == [0.0, 0.0]
    assert sample.metainfo['flip'] is True and sample.metainfo['tta'] is True
    assert 'gt_label' not in sample


def test_pack_carries_the_pending_heatmap_shift():
    results = dict(img=np.zeros((8, 4, 3), np.uint8), heatmaps=np.zeros((16, 4, 2), np.float16),
                   heatmap_shift=(0.375, -1.25))
    assert PackReIDInputs()(results)['data_samples'].heatmap_shift.tolist() == [0.375, -1.25]
    del results['heatmaps']
    assert 'heatmap_shift' not in PackReIDInputs()(results)['data_samples']


def test_pack_errors():
    with pytest.raises(KeyError, match='PackReIDInputs: no "img" for a.jpg'):
        PackReIDInputs()(dict(img_path='a.jpg'))
    with pytest.raises(TypeError, match='expected a uint8 image for b.jpg, got float32'):
        PackReIDInputs()(dict(img=np.zeros((4, 2, 3), np.float32), img_path='b.jpg'))


def test_configured_train_pipeline_end_to_end(tmp_path):
    """The dataset-config pipeline built from the registry: shapes, label, heatmaps aligned."""
    from vireid_toolbox.datasets.pose_cache import PoseCache
    img = np.random.default_rng(2).integers(0, 256, (64, 32, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'p.png'), img)
    kps = np.ones((16, 3), np.float32)
    kps[:, 0] = np.linspace(10, 22, 16)
    kps[:, 1] = np.linspace(12, 52, 16)
    cache = PoseCache.create(str(tmp_path / 'cache'), ['p.png'], {'name': 'x'}, 16, (16, 32))
    cache.write(0, render_gaussian_heatmaps(kps, (32, 64), (16, 32), 1.5), kps)
    cache.flush()
    with DefaultScope.overwrite_default_scope('vireid_toolbox'):
        pipeline = Compose([
            dict(type='LoadReIDImage'),
            dict(type='LoadCachedHeatmaps', cache_dir=str(tmp_path / 'cache')),
            dict(type='ReIDResize', scale=(48, 96)),
            dict(type='ReIDPadCrop', padding=6),
            dict(type='ReIDRandomFlip', prob=0.5),
            dict(type='ChannelRandomErasing', prob=0.5),
            dict(type='PackReIDInputs'),
        ])
    np.random.seed(0)
    packed = pipeline(dict(img_path=str(tmp_path / 'p.png'), rel_path='p.png', gt_label=3,
                           modality=0, camera=1))
    assert packed['inputs'].shape == (3, 96, 48) and packed['inputs'].dtype == torch.uint8
    sample = packed['data_samples']
    assert int(sample.gt_label) == 3 and sample.metainfo['img_shape'] == (96, 48)
    assert sample.metainfo['ori_shape'] == (64, 32) and isinstance(sample.metainfo['flip'], bool)
    assert sample.heatmaps.shape == (16, 32, 16) and float(sample.heatmaps.max()) > 0.9
    assert sample.heatmap_shift.shape == (2, ) and sample.heatmap_shift.abs().max() <= 6 * 16 / 48
