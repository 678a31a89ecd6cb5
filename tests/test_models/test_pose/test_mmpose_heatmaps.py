"""MMPoseHeatmaps (online) and tools/misc/extract_heatmaps.py (cached) with a random mmpose model."""
import hashlib
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.model import ImgDataPreprocessor
from mmengine.registry import DefaultScope

from conftest import REPO, load_tool_module
from vireid_toolbox.datasets.pose_cache import PoseCache, open_pose_cache
from vireid_toolbox.models.pose import MMPoseHeatmaps

# MobileNetV2 SimpleBaseline on MPII: the smallest MPII heatmap model mmpose ships
POSE_CONFIG = 'mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py'
INPUT_SIZE = (64, 128)
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


@pytest.fixture(scope='module')
def pose():
    torch.manual_seed(0)
    return MMPoseHeatmaps(POSE_CONFIG, checkpoint=None, input_size=INPUT_SIZE)


def reid_normalise(bgr: np.ndarray) -> torch.Tensor:
    """What the ReID data preprocessor makes of a BGR image: RGB, ImageNet-normalised."""
    rgb = torch.from_numpy(bgr[..., ::-1].copy()).permute(2, 0, 1)[None].float()
    return (rgb - MEAN) / STD


def random_images(folder, sizes, seed=0):
    """Blurred noise images (some structure for the network) in two camera folders."""
    rng = np.random.default_rng(seed)
    paths = []
    for i, (w, h) in enumerate(sizes):
        image = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (7, 7), 2)
        path = osp.join(folder, f'cam{1 + 2 * (i % 2)}', f'{i:04d}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, image)
        paths.append(path)
    return paths


def test_pose_network_is_frozen_and_outside_the_module(pose):
    parent = nn.Module()
    parent.pose = pose
    assert list(parent.parameters()) == []
    assert all(not key.startswith('pose.pose_net') for key in parent.state_dict())
    parent.train()
    assert not pose.pose_net.training
    assert all(not p.requires_grad for p in pose.pose_net.parameters())
    parent.to(torch.float64)  # moving the module moves the hidden network too
    assert next(pose.pose_net.parameters()).dtype == torch.float64
    parent.to(torch.float32)


def test_building_keeps_the_default_scope():
    before = DefaultScope.get_current_instance()
    MMPoseHeatmaps(POSE_CONFIG, input_size=INPUT_SIZE)
    after = DefaultScope.get_current_instance()
    assert (before and before.scope_name) == (after and after.scope_name)


def test_online_maps_use_the_pose_models_own_preprocessing(pose):
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, (INPUT_SIZE[1], INPUT_SIZE[0], 3), dtype=np.uint8)
    online = pose(reid_normalise(bgr), None, False)
    # mmpose's own path: its data preprocessor's normalisation (PoseDataPreprocessor is an
    # ImgDataPreprocessor that also wants data samples) on the BGR image, then the network
    net = pose.pose_net
    batch = ImgDataPreprocessor.forward(
        net.data_preprocessor, dict(inputs=[torch.from_numpy(bgr).permute(2, 0, 1)]), False)
    expected = net(batch['inputs'], None, mode='tensor').clamp(min=0)
    assert online.shape == (1, 16, INPUT_SIZE[1] // 4, INPUT_SIZE[0] // 4)
    torch.testing.assert_close(online, expected, rtol=1e-4, atol=1e-4)


def test_bad_config_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match='pose config'):
        MMPoseHeatmaps('mmpose::body_2d_keypoint/no_such_config.py')


def test_cached_maps_equal_online_maps_and_resume(tmp_path, pose):
    data_root = str(tmp_path / 'data')
    # one image at the network's size, two larger ones of other aspects (resized on the way)
    paths = random_images(data_root, [INPUT_SIZE, (96, 192), (80, 200)])
    cache_dir = str(tmp_path / 'cache')
    # the tool loads the same weights as the online source through the config's checkpoint
    checkpoint = str(tmp_path / 'pose.pth')
    torch.save(dict(state_dict=pose.pose_net.state_dict()), checkpoint)
    config = str(tmp_path / 'pose_tool_cfg.py')
    with open(config, 'w') as f:
        f.write(f'pose_model = dict(type="MMPoseHeatmaps", config="{POSE_CONFIG}", '
                f'checkpoint="{checkpoint}", input_size={list(INPUT_SIZE)})\n')
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/misc/extract_heatmaps.py'), config,
         '--data-root', data_root, '--cache-dir', cache_dir, '--batch-size', '2'],
        capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    seconds, rate = re.search(r'extracted 3 images in ([\d.]+) s: ([\d.]+) images/s '
                              r'\(batch 2, cpu\)', result.stdout).groups()
    # both printed to 0.1: the rate lies between 3 images over the longest and the shortest time
    seconds, rate = float(seconds), float(rate)
    assert 3 / (seconds + 0.05) - 0.05 <= rate <= 3 / max(seconds - 0.05, 1e-3) + 0.05

    cache = open_pose_cache(cache_dir, expected_pose_model=dict(
        config=POSE_CONFIG, checkpoint='pose.pth', input_size=list(INPUT_SIZE)))
    assert cache.meta['pose_model']['checkpoint_sha256'] == hashlib.sha256(
        open(checkpoint, 'rb').read()).hexdigest()
    assert sorted(cache.image_paths) == sorted(osp.relpath(p, data_root) for p in paths)
    for path in paths:
        row = cache.lookup(osp.relpath(path, data_root))
        bgr = cv2.imread(path)
        online = pose(reid_normalise(bgr), None, False)[0].numpy()
        cached = np.asarray(cache.heatmaps[row], dtype=np.float32)
        assert online.max() > 0 and online.std() > 0  # not a vacuous comparison of zeros
        np.testing.assert_allclose(cached, online, rtol=2e-3, atol=1e-3 * online.max() + 1e-5)
        # keypoints: the arg-max of each map, mapped to the image's pixel centres
        hm_h, hm_w = online.shape[1:]
        peak = online.reshape(16, -1).argmax(axis=1)
        expected_x = (peak % hm_w + 0.5) * bgr.shape[1] / hm_w - 0.5
        expected_y = (peak // hm_w + 0.5) * bgr.shape[0] / hm_h - 0.5
        np.testing.assert_allclose(cache.keypoints[row][:, 0], expected_x, atol=1e-3)
        np.testing.assert_allclose(cache.keypoints[row][:, 1], expected_y, atol=1e-3)

    # resume: a row that is not done is recomputed, rows that are done are left alone
    tool = load_tool_module('tools/misc/extract_heatmaps.py')
    writable = PoseCache(cache_dir, mode='w')
    kept = np.asarray(writable.heatmaps[0]).copy()
    writable.done[0] = False
    writable.heatmaps[0] = 0
    writable.heatmaps[1] = 7.0
    writable.flush()
    del writable
    _, redone, _ = tool.extract(MMPoseHeatmaps(POSE_CONFIG, checkpoint, input_size=INPUT_SIZE),
                                data_root, cache_dir, batch_size=4, device='cpu')
    assert redone == 1
    resumed = open_pose_cache(cache_dir)
    np.testing.assert_array_equal(np.asarray(resumed.heatmaps[0]), kept)
    assert np.all(np.asarray(resumed.heatmaps[1]) == 7.0)

    # a cache made with another pose model is refused
    with pytest.raises(tool.UserInputError, match='input_size'):
        tool.extract(MMPoseHeatmaps(POSE_CONFIG, checkpoint, input_size=(64, 96)), data_root,
                     cache_dir, batch_size=4, device='cpu')
