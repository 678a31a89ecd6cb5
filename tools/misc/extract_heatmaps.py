"""Run a config's mmpose model once over a data set and write a pose cache.

``python tools/misc/extract_heatmaps.py CONFIG [--data-root DIR] [--cache-dir DIR]``

The pose model is the config's ``pose_model`` (configs that read a cache) or
``model.pose`` when that is an ``MMPoseHeatmaps`` source. Every image under the
data root (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``) gets a row; maps are computed
exactly as the online source computes them on a batch (same resize and
normalisation), so a cached and an online run see the same maps. The cache's
``pose_model`` records the mmpose config, checkpoint name and SHA-256 and the
input size. Re-running the command resumes: rows already ``done`` are kept.
Images are read and resized one by one (their sizes differ) and go through the
network ``--batch-size`` at a time; the throughput in images/s is printed.
"""
import argparse
import os
import os.path as osp
import sys
import time
from typing import List, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import DictAction
from tqdm import tqdm

from vireid_toolbox.datasets.pose_cache import PoseCache, PoseCacheError
from vireid_toolbox.models.pose.mmpose_heatmaps import MMPoseHeatmaps, heatmap_keypoints
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils.tool_utils import UserInputError, load_config, one_line_errors

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args():
    parser = argparse.ArgumentParser(description='Extract pose heatmaps into a pose cache')
    parser.add_argument('config', help='config naming the pose model (pose_model or model.pose)')
    parser.add_argument('--data-root', help='images to process (default: the config\'s '
                        'train_dataloader.dataset.data_root)')
    parser.add_argument('--cache-dir', help='output cache (default: <data-root>/pose_cache)')
    parser.add_argument('--batch-size', type=int, default=16, help='images per forward pass')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. pose_model.checkpoint=PATH')
    return parser.parse_args()


def pose_source_config(cfg) -> dict:
    """The MMPoseHeatmaps config named by ``cfg``."""
    pose = cfg.get('pose_model') or cfg.model.get('pose')
    if not pose or pose.get('type') != 'MMPoseHeatmaps':
        raise UserInputError('the config names no mmpose model: set pose_model (or model.pose) '
                             "to dict(type='MMPoseHeatmaps', config=..., checkpoint=...)")
    return pose


def list_images(data_root: str, cache_dir: str) -> List[str]:
    """Image paths under ``data_root`` relative to it, sorted, outside the cache."""
    cache_dir = osp.abspath(cache_dir)
    found = []
    for folder, dirs, files in os.walk(data_root):
        dirs[:] = sorted(d for d in dirs if osp.abspath(osp.join(folder, d)) != cache_dir)
        found.extend(osp.relpath(osp.join(folder, name), data_root) for name in files
                     if name.lower().endswith(IMAGE_EXTENSIONS))
    if not found:
        raise UserInputError(f'no images ({", ".join(IMAGE_EXTENSIONS)}) under {data_root}')
    return sorted(found)


def read_pixels(path: str, rgb: bool) -> torch.Tensor:
    """``1 x 3 x H x W`` float pixels (0-255) of an image file."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise UserInputError(f'cannot read image {path}')
    if rgb:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()


def open_or_create(cache_dir: str, images: List[str], pose: MMPoseHeatmaps,
                   heatmap_shape) -> PoseCache:
    """Resume a cache made by the same model over the same images, or create it."""
    if not osp.isfile(osp.join(cache_dir, 'meta.json')):
        num_joints, height, width = heatmap_shape
        return PoseCache.create(cache_dir, images, pose.pose_model_info, num_joints, (width, height))
    cache = PoseCache(cache_dir, mode='w')
    try:
        cache.check_pose_model(pose.pose_model_info)
    except PoseCacheError as error:
        raise UserInputError(f'{error}; choose another --cache-dir') from None
    if cache.image_paths != images:
        raise UserInputError(f'pose cache {cache_dir} lists other images than {len(images)} found '
                             'under the data root; choose another --cache-dir')
    return cache


def extract(pose: MMPoseHeatmaps, data_root: str, cache_dir: str, batch_size: int,
            device: str) -> Tuple[PoseCache, int, float]:
    """Fill every row of the cache that is not done yet.

    Returns:
        tuple: the cache, the number of images processed and the seconds taken.
    """
    images = list_images(data_root, cache_dir)
    pose.to(device)
    width, height = pose.input_size
    probe = pose.predict_heatmaps(torch.zeros(1, 3, height, width, device=device))
    cache = open_or_create(cache_dir, images, pose, tuple(probe.shape[1:]))
    todo = np.flatnonzero(~np.asarray(cache.done))
    began = time.perf_counter()
    with tqdm(total=len(todo), unit='img', desc='heatmaps', file=sys.stdout) as progress:
        for start in range(0, len(todo), batch_size):
            rows = todo[start:start + batch_size]
            pixels = [read_pixels(osp.join(data_root, images[row]), pose.input_rgb) for row in rows]
            batch = torch.cat([pose.prepare(p.to(device)) for p in pixels])
            heatmaps = pose.predict_heatmaps(batch).cpu().numpy()
            for row, maps, image in zip(rows, heatmaps, pixels):
                size = (image.shape[3], image.shape[2])
                cache.write(int(row), maps, heatmap_keypoints(maps, size))
            cache.flush()
            progress.update(len(rows))
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return cache, len(todo), time.perf_counter() - began


def main():
    args = parse_args()
    with one_line_errors('extract_heatmaps.py'):
        cfg = load_config(args.config, args.cfg_options)
        data_root = args.data_root or cfg.train_dataloader.dataset.data_root
        if not osp.isdir(data_root):
            raise UserInputError(f'data root {data_root} is not a directory')
        cache_dir = args.cache_dir or osp.join(data_root, 'pose_cache')
        pose = MODELS.build(pose_source_config(cfg))
        cache, done, seconds = extract(pose, data_root, cache_dir, args.batch_size, args.device)
    print(f'pose cache {cache_dir}: {len(cache)} images, model {cache.meta["pose_model"]}')
    rate = done / seconds if done else 0.0
    print(f'extracted {done} images in {seconds:.1f} s: {rate:.1f} images/s '
          f'(batch {args.batch_size}, {args.device})')


if __name__ == '__main__':
    main()
