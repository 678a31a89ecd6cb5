"""Training throughput of a config as a GPU user feels it: data loader, model, end to end.

::

    python tools/analysis_tools/benchmark_train.py CONFIG [--device cpu|cuda] [--amp [fp16|bf16]]
        [--channels-last] [--compile] [--iters N] [--warmup N] [--rounds R] [--workers W]
        [--out FILE.json]

mmengine's Runner builds everything from the config (its model with random
weights, nothing downloaded; its train data loader, sampler, optimizer and
hooks), with the switches applied as config edits (``switched_config``):

* **loader**: images/s of the train data loader alone with W workers (decode,
  transforms, cached heatmaps, collation, the sampler, the transfer from the
  workers), next to the same images read and resized by bare
  ``cv2.imread`` + ``cv2.resize`` in this process, and an in-process CPU-time
  profile of the loader's stages (sampler, data info, each transform, collation); the
  CPU time per image of the workers and of this process in the timed batches and of
  the reference, figures that other load on the machine distorts far less, and the
  workers' minor page faults per image. Loader and reference are timed alternately
  ``R`` times; the figures are the medians, each round's ratio from its own pair;
* **model**: images/s of ``train_step`` (forward, backward, optimizer step) on
  one in-memory batch of the loader, no loading;
* **end to end**: images/s of ``Runner.train()`` (an iteration-based loop of
  ``warmup + iters`` iterations, no validation or checkpoints), and the stall
  ratio end to end / min(loader, model) (1.0: neither waits for the other);
* peak memory (CUDA ``max_memory_allocated``; CPU peak RSS of this process)
  and the wall time of each part.
"""
import argparse
import itertools
import json
import os
import os.path as osp
import platform
import resource
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.optim.optimizer import amp_optimizer_wrapper
from mmengine.runner import Runner

from dummy_batch import random_weights
from vireid_toolbox.utils.tool_utils import (UserInputError, load_config, one_line_errors,
                                             pin_memory_on_cuda)

AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Loader, model and end-to-end training throughput')
    parser.add_argument('config', help='training config')
    parser.add_argument('--device', choices=('cpu', 'cuda'),
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', nargs='?', const='auto', choices=('auto', 'fp16', 'bf16'),
                        help='mixed precision (AmpOptimWrapper); auto: bf16 where supported')
    parser.add_argument('--channels-last', action='store_true', help='add ChannelsLastHook')
    parser.add_argument('--compile', action='store_true', help='add TorchCompileHook')
    parser.add_argument('--iters', type=int, default=10, help='timed batches of each part')
    parser.add_argument('--warmup', type=int, default=2, help='untimed batches before each part')
    parser.add_argument('--rounds', type=int, default=3,
                        help='loader and reference timed alternately this many times; the '
                        'figures are medians, each round\'s ratio from its own two timings')
    parser.add_argument('--workers', type=int, default=None,
                        help='data loader workers (default: the config\'s)')
    parser.add_argument('--parts', nargs='+', choices=('loader', 'training'),
                        default=['loader', 'training'],
                        help='loader: the data loader alone; training: model and end to end')
    parser.add_argument('--out', help='also write the figures to this JSON file')
    parser.add_argument('--work-dir', help='Runner work dir (default: a temporary directory)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.depth=18')
    args = parser.parse_args(argv)
    if args.iters < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error('--iters and --rounds must be >= 1 and --warmup >= 0')
    return args


def amp_dtype(choice: Optional[str], device: str) -> Optional[str]:
    """The AmpOptimWrapper dtype of ``--amp`` (None: full precision)."""
    if choice is None:
        return None
    if choice == 'auto':
        choice = 'bf16' if device != 'cuda' or torch.cuda.is_bf16_supported() else 'fp16'
    return AMP_DTYPES[choice]


def switched_config(cfg: Config, amp: Optional[str] = None, channels_last: bool = False,
                    compile: bool = False) -> Config:
    """The config with the speed switches turned on, as a user writes them in a config."""
    if amp:
        cfg.optim_wrapper = dict(cfg.optim_wrapper, type='AmpOptimWrapper', dtype=amp)
    hooks = list(cfg.get('custom_hooks') or [])
    if channels_last:
        hooks.append(dict(type='ChannelsLastHook'))
    if compile:
        hooks.append(dict(type='TorchCompileHook'))
    cfg.custom_hooks = hooks
    return cfg


def benchmark_config(cfg: Config, args, work_dir: str) -> Config:
    """The config as trained for ``warmup + iters`` iterations without validation or saving."""
    random_weights(cfg)
    loader = cfg.train_dataloader
    if args.workers is not None:
        loader.num_workers = args.workers
        loader.persistent_workers = args.workers > 0
    pin_memory_on_cuda(cfg, args.device == 'cuda')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.warmup + args.iters,
                         val_interval=args.warmup + args.iters + 1)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator', 'param_scheduler'):
        cfg[key] = None  # nothing but training steps; the learning rate does not change speed
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**9)
    cfg.load_from, cfg.resume = None, False
    cfg.log_level = 'WARNING'
    # no log files; a name of its own, as mmengine keeps every visualizer instance by name
    cfg.visualizer = dict(type='Visualizer', name=f'benchmark_train_{time.time_ns()}')
    cfg.work_dir = work_dir
    return switched_config(cfg, amp_dtype(args.amp, args.device), args.channels_last, args.compile)


def synchronize(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def reset_peak_memory(device: str) -> None:
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mib(device: str) -> float:
    """CUDA: ``max_memory_allocated`` since the last reset; CPU: peak RSS of this process."""
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class IterationClock(Hook):
    """Wall clock of the training iterations after ``warmup``; keeps the last batch."""

    priority = 'LOWEST'

    def __init__(self, warmup: int, device: str):
        self.warmup = warmup
        self.device = device
        self.calls = 0
        self.start = self.stop = None
        self.last_batch = None

    def before_train(self, runner) -> None:
        if self.warmup == 0:
            synchronize(self.device)
            self.start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.calls += 1
        self.last_batch = data_batch
        if self.calls == self.warmup:
            synchronize(self.device)
            self.start = time.perf_counter()

    def after_train(self, runner) -> None:
        synchronize(self.device)
        self.stop = time.perf_counter()


def process_stat(pid: int) -> Optional[Tuple[float, int]]:
    """CPU seconds (user + system) and minor page faults of a live process, from ``/proc``
    (None where there is none)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()  # the fields after the command name
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'), int(fields[7])


def loader_throughput(loader, warmup: int, iters: int) -> Dict[str, Optional[float]]:
    """Of the data loader after ``warmup`` batches: ``images_per_s``; per image of the timed
    batches, ``worker_cpu_us`` and ``worker_faults`` (minor page faults) of its workers (None
    without workers or ``/proc``) and ``main_cpu_us`` of this process.

    Unlike images/s, CPU time hardly depends on what else the machine runs.
    """
    batches = iter(loader)
    for _ in range(warmup):
        next(batches)
    workers = [worker.pid for worker in getattr(batches, '_workers', [])]

    def workers_stat() -> Optional[np.ndarray]:
        stats = [process_stat(pid) for pid in workers]
        return None if not workers or None in stats else np.sum(stats, axis=0)

    images = 0
    start, start_cpu, start_workers = time.perf_counter(), time.process_time(), workers_stat()
    for batch in itertools.islice(batches, iters):
        images += len(batch['inputs'])
    wall, main_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    end_workers = workers_stat()
    spent = (None if start_workers is None or end_workers is None else
             (end_workers - start_workers) / images)
    return dict(images_per_s=images / wall, main_cpu_us=main_cpu * 1e6 / images,
                worker_cpu_us=None if spent is None else spent[0] * 1e6,
                worker_faults=None if spent is None else spent[1])


def resize_scale(pipeline: List[dict]) -> tuple:
    """``(width, height)`` of the pipeline's ReIDResize."""
    for step in pipeline:
        if step.get('type') == 'ReIDResize':
            return tuple(step['scale'])
    raise UserInputError('the train pipeline has no ReIDResize: nothing to compare the loader '
                         'with')


def reference_throughput(paths: List[str], scale: tuple) -> tuple:
    """Bare ``cv2.imread`` + ``cv2.resize`` of ``paths`` in this process: images/s and CPU
    microseconds per image."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for path in paths:
        cv2.resize(cv2.imread(path, cv2.IMREAD_COLOR), scale, interpolation=cv2.INTER_LINEAR)
    cpu_us = (time.process_time() - start_cpu) * 1e6 / len(paths)
    return len(paths) / (time.perf_counter() - start), cpu_us


def stage_profile(loader, indices: List[int]) -> Dict[str, float]:
    """CPU microseconds per image of each loader stage, run in this process on ``indices``."""
    dataset, batch_size = loader.dataset, loader.batch_size
    transforms = dataset.pipeline.transforms
    clock = time.thread_time
    totals = dict.fromkeys(['sampler', 'data info', *(type(t).__name__ for t in transforms),
                            'collate'], 0.0)
    start = clock()
    list(itertools.islice(iter(loader.sampler), len(indices)))
    totals['sampler'] = clock() - start
    samples = []
    for index in indices:
        start = clock()
        results = dataset.get_data_info(index)
        totals['data info'] += clock() - start
        for transform in transforms:
            start = clock()
            results = transform(results)
            totals[type(transform).__name__] += clock() - start
        samples.append(results)
    for first in range(0, len(samples), batch_size):
        start = clock()
        loader.collate_fn(samples[first:first + batch_size])
        totals['collate'] += clock() - start
    return {stage: seconds * 1e6 / len(indices) for stage, seconds in totals.items()}


def train_step_throughput(runner, batch: dict, warmup: int, iters: int, device: str) -> float:
    """Images/s of ``train_step`` on one in-memory batch."""
    for _ in range(warmup):
        runner.model.train_step(batch, runner.optim_wrapper)
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        runner.model.train_step(batch, runner.optim_wrapper)
    synchronize(device)
    return iters * len(batch['inputs']) / (time.perf_counter() - start)


def loader_round(loader, paths: List[str], scale: tuple, args) -> dict:
    """One timing of the loader, then one of the reference on the same files."""
    figures = loader_throughput(loader, args.warmup, args.iters)
    figures['reference'], figures['reference_cpu_us'] = reference_throughput(paths, scale)
    figures['per_worker_vs_reference'] = (figures['images_per_s'] / max(1, loader.num_workers) /
                                          figures['reference'])
    if figures['worker_cpu_us']:
        figures['reference_vs_worker_cpu'] = (figures['reference_cpu_us'] * loader.num_workers /
                                              figures['worker_cpu_us'])
    return figures


def median(values: List[float]) -> float:
    return float(np.median(values))


def measure_loader(runner, cfg: Config, args, figures: dict) -> None:
    """Loader throughput against the bare decode + resize reference, ``args.rounds`` times
    alternately (medians; each round's ratio from its own two timings, so that a machine whose
    speed drifts moves both), then the per-stage profile."""
    loader = runner.train_dataloader
    indices = list(itertools.islice(iter(loader.sampler), args.iters * loader.batch_size))
    paths = [loader.dataset.get_data_info(i)['img_path'] for i in indices]
    scale = resize_scale(cfg.train_dataloader.dataset.pipeline)
    start = time.perf_counter()
    rounds = [loader_round(loader, paths, scale, args) for _ in range(args.rounds)]
    figures['loader_wall'] = time.perf_counter() - start
    figures['loader_rounds'] = rounds
    for key, name in (('images_per_s', 'loader'), ('main_cpu_us', 'loader_main_cpu_us'),
                      ('worker_cpu_us', 'loader_worker_cpu_us'),
                      ('worker_faults', 'loader_worker_faults'), ('reference', 'reference'),
                      ('reference_cpu_us', 'reference_cpu_us'),
                      ('per_worker_vs_reference', 'loader_per_worker_vs_reference'),
                      ('reference_vs_worker_cpu', 'reference_vs_worker_cpu')):
        values = [r[key] for r in rounds if r.get(key) is not None]
        figures[name] = median(values) if values else None
    figures['loader_per_worker'] = figures['loader'] / max(1, loader.num_workers)
    figures['stages_us'] = stage_profile(loader, indices)


def measure_training(runner, args, figures: dict) -> None:
    """End to end (``Runner.train``), then ``train_step`` alone on its last batch."""
    clock = IterationClock(args.warmup, args.device)
    runner.register_hook(clock)
    reset_peak_memory(args.device)
    start = time.perf_counter()
    runner.train()
    figures['end_to_end_wall'] = time.perf_counter() - start
    figures['end_to_end'] = args.iters * runner.train_dataloader.batch_size / (clock.stop -
                                                                               clock.start)
    figures['end_to_end_peak_mib'] = peak_memory_mib(args.device)
    figures['input_shape'] = list(clock.last_batch['inputs'][0].shape[-2:])
    reset_peak_memory(args.device)
    start = time.perf_counter()
    figures['model'] = train_step_throughput(runner, clock.last_batch, args.warmup, args.iters,
                                             args.device)
    figures['model_wall'] = time.perf_counter() - start
    figures['model_peak_mib'] = peak_memory_mib(args.device)


def run(cfg: Config, args) -> dict:
    """Measure the parts; return every figure."""
    figures = dict(config=args.config, device=args.device, torch=torch.__version__,
                   cuda=torch.version.cuda if args.device == 'cuda' else None,
                   gpu=torch.cuda.get_device_name() if args.device == 'cuda' else None,
                   cpu=platform.processor() or platform.machine(), iters=args.iters,
                   amp=amp_dtype(args.amp, args.device), channels_last=args.channels_last,
                   compile=args.compile)
    runner = Runner.from_cfg(cfg)
    if args.device == 'cpu':
        runner.model.to('cpu')  # the Runner puts it on the GPU where there is one
    loader = runner.train_dataloader
    figures.update(batch_size=loader.batch_size, workers=loader.num_workers,
                   pin_memory=loader.pin_memory)
    if 'loader' in args.parts:
        measure_loader(runner, cfg, args, figures)
    if 'training' in args.parts:
        measure_training(runner, args, figures)
        if 'loader' in args.parts:
            figures['stall_ratio'] = figures['end_to_end'] / min(figures['loader'],
                                                                 figures['model'])
    return figures


def spread(figures: dict, key: str, digits: int = 2) -> str:
    """``median (min-max over the rounds)`` of a per-round loader figure."""
    values = [r[key] for r in figures['loader_rounds'] if r.get(key) is not None]
    if len(values) < 2:
        return f'{median(values):.{digits}f}'
    return f'{median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})'


def cpu_line(figures: dict) -> str:
    """The CPU-time line of the loader figures."""
    main = f'main process {figures["loader_main_cpu_us"]:.0f} us'
    reference = f'reference {figures["reference_cpu_us"]:.0f} us'
    if not figures['loader_worker_cpu_us']:
        return f'CPU time per image: {main}, {reference} (no worker CPU time here)'
    return (f'CPU time per image of the timed batches: workers '
            f'{spread(figures, "worker_cpu_us", 0)} us, {main}, {reference}; reference / '
            f'worker CPU: {spread(figures, "reference_vs_worker_cpu")} (per worker / reference '
            f'without other load); minor page faults of the workers per image: '
            f'{figures["loader_worker_faults"]:.1f}')


def report(figures: dict) -> str:
    """The figures as the lines the tool prints."""
    memory = 'CUDA max_memory_allocated' if figures['device'] == 'cuda' else 'peak RSS'
    switches = ', '.join(f'{name}={figures[name] or "off"}'
                         for name in ('amp', 'channels_last', 'compile'))
    lines = [
        f'config: {figures["config"]}',
        f'device: {figures["device"]} ({figures["gpu"] or figures["cpu"]}), torch '
        f'{figures["torch"]}, CUDA {figures["cuda"]}; {switches}',
        f'batch: {figures["batch_size"]} images; {figures["workers"]} workers, pin_memory='
        f'{figures["pin_memory"]}; {figures["iters"]} timed batches per part',
    ]
    if 'loader' in figures:
        stages = figures['stages_us']
        lines += [
            f'loader: {figures["loader"]:.1f} images/s ({figures["loader_per_worker"]:.1f} per '
            f'worker), wall {figures["loader_wall"]:.1f} s with the reference; medians of '
            f'{len(figures["loader_rounds"])} rounds, (min-max)',
            f'reference: {figures["reference"]:.1f} images/s (cv2.imread + cv2.resize of the '
            f'same files, in this process); loader per worker / reference: '
            f'{spread(figures, "per_worker_vs_reference")}',
            cpu_line(figures),
            'loader stages (CPU us per image, in this process): ' +
            ', '.join(f'{stage} {us:.0f}' for stage, us in stages.items()) +
            f'; sum {sum(stages.values()):.0f}',
        ]
    if 'model' in figures:
        height, width = figures['input_shape']
        lines += [
            f'model: {figures["model"]:.1f} images/s of {height}x{width} (train_step on an '
            f'in-memory batch), wall {figures["model_wall"]:.1f} s, peak memory '
            f'{figures["model_peak_mib"]:.0f} MiB ({memory})',
            f'end to end: {figures["end_to_end"]:.1f} images/s (Runner.train), wall '
            f'{figures["end_to_end_wall"]:.1f} s, peak memory '
            f'{figures["end_to_end_peak_mib"]:.0f} MiB ({memory})',
        ]
    if 'stall_ratio' in figures:
        lines.append(f'stall ratio end to end / min(loader, model): {figures["stall_ratio"]:.2f}')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    with one_line_errors('benchmark_train.py'):
        if args.device == 'cuda' and not torch.cuda.is_available():
            raise UserInputError('--device cuda: CUDA is not available on this machine')
        if args.amp and not amp_optimizer_wrapper.is_cuda_available():
            raise UserInputError('--amp needs CUDA (mmengine\'s AmpOptimWrapper)')
        cfg = load_config(args.config, args.cfg_options)
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(benchmark_config(cfg, args, args.work_dir or tmp), args)
    print(report(figures))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(figures, f, indent=2)
    return figures


if __name__ == '__main__':
    main()
