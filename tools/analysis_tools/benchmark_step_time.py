"""Training step time of two model configs on the same batch, and their ratio.

Both models (random weights) run ``train_step`` (data preprocessor, forward,
loss, backward, optimizer step with their configs' optimizers) on one and the
same cross-modality batch of ``P`` ids x ``K`` images per modality::

    python tools/analysis_tools/benchmark_step_time.py BASELINE CANDIDATE \\
        [--num-ids P] [--num-instances K] [--shape H W] [--steps 5] [--warmup 2]

e.g. HcTri vs ADMPFF-Net: ``configs/hctri/hctri_r50_1xb96-60e_sysu-mm01-288x144.py
configs/admpff_net/admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py``. The batch and
input size default to the first config's sampler and test resize.
"""
import argparse
import logging
import statistics
import sys
import time

import torch
from mmengine.config import DictAction
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

from dummy_batch import build_model, cross_modality_batch, input_shape, sampler_ids
from vireid_toolbox.utils.tool_utils import load_config, one_line_errors


def parse_args():
    parser = argparse.ArgumentParser(description='Compare the training step time of two configs')
    parser.add_argument('baseline', help='first config (the reference of the ratio)')
    parser.add_argument('candidate', help='second config')
    parser.add_argument('--num-ids', type=int, help='identities P (default: baseline sampler)')
    parser.add_argument('--num-instances', type=int,
                        help='images per identity and modality K (default: baseline sampler)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size (default: the baseline test pipeline ReIDResize)')
    parser.add_argument('--heatmaps', type=int, nargs=3, metavar=('K', 'h', 'w'),
                        help='random cached heatmaps for models with a cached pose source')
    parser.add_argument('--steps', type=int, default=5, help='timed steps per model')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per model first')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides applied to both configs, e.g. model.backbone.depth=18')
    return parser.parse_args()


def time_steps(model, optim_wrapper, batch: dict, warmup: int, steps: int):
    """Seconds of each timed ``train_step`` after ``warmup`` untimed ones."""
    model.train()
    durations = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        model.train_step(batch, optim_wrapper)
        if i >= warmup:
            durations.append(time.perf_counter() - start)
    return durations


def main():
    args = parse_args()
    with one_line_errors('benchmark_step_time.py'):
        cfgs = [load_config(path, args.cfg_options) for path in (args.baseline, args.candidate)]
    try:
        shape = input_shape(cfgs[0], args.shape)
        num_ids, num_instances = sampler_ids(cfgs[0], args.num_ids, args.num_instances)
    except ValueError as error:
        sys.exit(f'benchmark_step_time.py: error: {error}')
    batch = cross_modality_batch(num_ids, num_instances, shape, args.heatmaps)
    print(f'batch: {num_ids} ids x {num_instances} images x 2 modalities = '
          f'{len(batch["inputs"])} images of {shape[0]}x{shape[1]}, '
          f'{torch.get_num_threads()} CPU threads')
    # the optimizer constructor logs one line per parameter group option
    MMLogger.get_current_instance().setLevel(logging.WARNING)
    means = []
    for path, cfg in zip((args.baseline, args.candidate), cfgs):
        torch.manual_seed(0)
        model = build_model(cfg)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        durations = time_steps(model, optim_wrapper, batch, args.warmup, args.steps)
        mean = statistics.mean(durations)
        spread = statistics.stdev(durations) if len(durations) > 1 else 0.0
        means.append(mean)
        print(f'{path}: {mean * 1000:.0f} ± {spread * 1000:.0f} ms/step '
              f'over {len(durations)} steps')
    print(f'ratio candidate / baseline: {means[1] / means[0]:.2f}')


if __name__ == '__main__':
    main()
