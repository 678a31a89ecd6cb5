"""What PDFENet's pose input costs per batch: the online mmpose network against the pose cache.

* online: ``MMPoseHeatmaps`` (the config's ``pose_model``, random weights: the
  cost does not depend on them) on a batch of images at the training size;
* cached: what the cache adds to the data pipeline — ``LoadCachedHeatmaps``
  (a memory-mapped read) and carrying the maps through resize, pad-crop and
  flip, measured as the pipeline with minus without it on the same images —
  plus ``CachedHeatmaps`` stacking them in the model.

Both are timed in the same run on the same images; the ratio online / cached
is printed::

    python tools/analysis_tools/benchmark_pose_source.py \\
        configs/pdfenet/pdfenet_r50_1xb64-240e_sysu-mm01-384x128.py [--batch 16] [--repeats 3]
"""
import argparse
import os
import os.path as osp
import tempfile
import time

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose

from vireid_toolbox.datasets.pose_cache import PoseCache
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.tool_utils import load_config, one_line_errors


def parse_args():
    parser = argparse.ArgumentParser(description='Online vs cached pose heatmaps: cost per batch')
    parser.add_argument('config', help='a PDFENet config with pose_model and a cached pipeline')
    parser.add_argument('--batch', type=int, default=16, help='images per batch')
    parser.add_argument('--repeats', type=int, default=3, help='timed repeats (best is kept)')
    return parser.parse_args()


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def write_images(root: str, num: int, size) -> list:
    """Random JPEGs (the original SYSU-MM01 image size) and their paths relative to ``root``."""
    rng = np.random.default_rng(0)
    rel_paths = []
    for i in range(num):
        rel = f'cam1/{i + 1:04d}/0001.jpg'
        path = osp.join(root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
        rel_paths.append(rel)
    return rel_paths


def main():
    args = parse_args()
    with one_line_errors('benchmark_pose_source.py'):
        cfg = load_config(args.config)
    register_all_modules()
    torch.set_grad_enabled(False)
    pose_cfg = dict(cfg.pose_model, checkpoint=None)
    online = MODELS.build(pose_cfg)
    train_pipeline = cfg.train_dataloader.dataset.pipeline
    resize = next(t for t in train_pipeline if t['type'] == 'ReIDResize')
    width, height = resize['scale']

    with tempfile.TemporaryDirectory() as root:
        rel_paths = write_images(root, args.batch, (width // 2, height // 2))
        heatmap_size = (online.input_size[0] // 4, online.input_size[1] // 4)
        cache = PoseCache.create(osp.join(root, 'pose_cache'), rel_paths, online.pose_model_info,
                                 num_joints=16, heatmap_size=heatmap_size)
        for row in range(len(rel_paths)):
            cache.write(row, np.random.rand(16, heatmap_size[1], heatmap_size[0]),
                        np.zeros((16, 3), np.float32))
        cache.flush()
        entries = [dict(img_path=osp.join(root, rel), rel_path=rel, gt_label=0, pid=1,
                        modality=0, camera=1) for rel in rel_paths]
        with_cache = [dict(t, cache_dir=osp.join(root, 'pose_cache'), expected_pose_model=None)
                      if t['type'] == 'LoadCachedHeatmaps' else t for t in train_pipeline]
        without_cache = [t for t in train_pipeline if t['type'] != 'LoadCachedHeatmaps']
        if len(with_cache) == len(without_cache):
            raise SystemExit(f'{args.config}: the training pipeline has no LoadCachedHeatmaps')
        pipelines = {name: Compose(steps) for name, steps in
                     (('with', with_cache), ('without', without_cache))}

        def run_pipeline(name):
            return [pipelines[name](dict(entry)) for entry in entries]

        packed = run_pipeline('with')
        inputs = torch.stack([p['inputs'] for p in packed]).float()
        samples = [p['data_samples'] for p in packed]
        stacker = MODELS.build(dict(type='CachedHeatmaps'))

        t_online = best_time(lambda: online(inputs, samples, False), args.repeats)
        t_with = best_time(lambda: run_pipeline('with'), args.repeats)
        t_without = best_time(lambda: run_pipeline('without'), args.repeats)
        t_stack = best_time(lambda: stacker(inputs, samples, False), args.repeats)
    t_cached = max(t_with - t_without, 0.0) + t_stack
    print(f'batch of {args.batch} images at {height}x{width}, pose network input '
          f'{online.input_size[1]}x{online.input_size[0]}, best of {args.repeats}')
    print(f'online  (mmpose forward)                 : {1000 * t_online:9.1f} ms/batch')
    print(f'cached  (pipeline +{1000 * max(t_with - t_without, 0):.1f} ms, stacking '
          f'+{1000 * t_stack:.1f} ms): {1000 * t_cached:9.1f} ms/batch')
    print(f'ratio online / cached: {t_online / max(t_cached, 1e-9):.1f}x')


if __name__ == '__main__':
    main()
