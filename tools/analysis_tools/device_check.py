"""A GPU machine checked in one command (``make device-check``), with one table of figures.

::

    python tools/analysis_tools/device_check.py [--out-dir work_dirs/device_check]
        [--data-root DIR] [--iters 15] [--warmup 3] [--workers W] [--smoke]

1. CPU part, on every machine: the benchmark data -- a synthetic SYSU-MM01-layout
   set of 288x144 JPEGs with a pose cache of 64x24 maps (what HRNet-w32 gives
   for PDFENet's 256x96 pose input), written once into the output directory
   unless ``--data-root`` names a set in that layout with ``pose_cache/`` --
   and the train data loader of every benchmark on it (``benchmark_train.py
   --parts loader``: W workers next to bare decode + resize).
2. With CUDA: the ``cuda`` tests (``pytest -m cuda``); ``benchmark_train.py`` of
   HcTri, ADMPFF-Net and PDFENet (cached and online pose) at their configs'
   resolution and batch, without and with AMP; with two GPUs, a 2-process NCCL
   training run (``tools/dist_train.sh``).
3. One markdown table of every figure, with the GPU name and the torch / CUDA
   versions, in ``<out-dir>/device_check.md``.

Without CUDA one line says so after the CPU part, and the exit status is 0.
``--smoke`` shrinks every run (ResNet-18, 2 ids x 1 image x 2 modalities, 96x32
inputs) to check the plumbing in a minute; ``--device cpu`` runs step 2 on CPU.
"""
import argparse
import gc
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config

import benchmark_train
from vireid_toolbox.datasets.synthetic import make_synthetic_sysu_mm01

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNS = {
    'HcTri': 'configs/hctri/hctri_r50_1xb96-60e_sysu-mm01-288x144.py',
    'ADMPFF-Net': 'configs/admpff_net/admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py',
    'PDFENet, cached pose': 'configs/pdfenet/pdfenet_r50_1xb64-240e_sysu-mm01-384x128.py',
    'PDFENet, online pose':
    'configs/pdfenet/pdfenet_r50_online-pose_1xb64-240e_sysu-mm01-384x128.py',
}
NCCL_CONFIG = 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
STEP_TIMEOUT = 600


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark and test a GPU machine in one go')
    parser.add_argument('--out-dir', default='work_dirs/device_check')
    parser.add_argument('--data-root', help='a SYSU-MM01-layout set with pose_cache/ (default: '
                        'a synthetic one written into --out-dir)')
    parser.add_argument('--device', choices=('cpu', 'cuda'),
                        default='cuda' if torch.cuda.is_available() else None,
                        help='device of step 2 (default: cuda where available, else skipped)')
    parser.add_argument('--iters', type=int, default=15, help='timed batches of each part')
    parser.add_argument('--warmup', type=int, default=3, help='untimed batches first')
    parser.add_argument('--workers', type=int, default=min(16, os.cpu_count() or 1),
                        help='data loader workers')
    parser.add_argument('--smoke', action='store_true', help='tiny runs that check the plumbing')
    parser.add_argument('--test-paths', nargs='+', default=['tests'],
                        help='where pytest looks for the cuda-marked tests')
    return parser.parse_args(argv)


def gpu_count() -> int:
    return torch.cuda.device_count()


def benchmark_data(out_dir: str) -> str:
    """The synthetic benchmark set in ``out_dir`` (written on first use)."""
    root = osp.join(out_dir, 'synthetic_sysu_mm01_288x144')
    if not osp.isfile(osp.join(root, 'pose_cache', 'meta.json')):
        make_synthetic_sysu_mm01(root, num_ids=64, images_per_camera=4, size=(288, 144),
                                 heatmap_size=(24, 64), workers=os.cpu_count() or 1,
                                 overwrite=True, seed=0)
    return root


def data_options(config: str, data_root: str, smoke: bool = False) -> List[str]:
    """``--cfg-options`` pointing a config's train loader at ``data_root`` (and its pose cache).

    ``smoke``: ResNet-18, 2 ids x 1 image x 2 modalities, 96x32 inputs (6 x 2 feature maps).
    """
    cfg = Config.fromfile(config)
    options = [f'train_dataloader.dataset.data_root={data_root}']
    if smoke:
        options += ['model.backbone.depth=18', 'model.neck.in_channels=512',
                    'train_dataloader.batch_size=4', 'train_dataloader.sampler.batch_size=4',
                    'train_dataloader.sampler.num_ids=2',
                    'train_dataloader.sampler.num_instances=1']
        if cfg.model.head.type == 'PDFENetHead':
            options.append('model.head.in_channels=512')
    for index, step in enumerate(cfg.train_dataloader.dataset.pipeline):
        prefix = f'train_dataloader.dataset.pipeline.{index}'
        if step['type'] == 'LoadCachedHeatmaps':
            options += [f'{prefix}.cache_dir={data_root}/pose_cache',
                        f'{prefix}.expected_pose_model=None']
        if smoke and step['type'] == 'ReIDResize':
            options.append(f'{prefix}.scale=(32,96)')
        if smoke and step['type'] == 'ReIDPadCrop':
            options.append(f'{prefix}.padding=2')
    return options


def benchmark(name: str, args, data_root: str, device: str, parts: List[str],
              amp: Optional[str] = None) -> dict:
    """One ``benchmark_train.py`` run in this process; its figures with the run's name."""
    config = osp.join(REPO, RUNS[name])
    argv = [config, '--device', device, '--iters', str(args.iters), '--warmup', str(args.warmup),
            '--workers', str(args.workers), '--parts', *parts]
    if amp:
        argv += ['--amp', amp]
    figures = benchmark_train.main(
        argv + ['--cfg-options', *data_options(config, data_root, args.smoke)])
    gc.collect()  # the Runner and its workers go before the next run
    if device == 'cuda':
        torch.cuda.empty_cache()
    return dict(figures, name=name)


def run_command(command: List[str], env: Optional[dict] = None) -> Dict[str, str]:
    """Run a command from the repository root: its exit status, wall time and a summary line
    (the last error line of a failure, else the last line of the output)."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()] or ['']
    if proc.returncode:
        lines = [line for line in lines if 'Error' in line] or lines
    return dict(status='ok' if proc.returncode == 0 else f'FAILED (exit {proc.returncode})',
                seconds=f'{time.perf_counter() - start:.0f}', summary=lines[-1].strip()[:200])


def cuda_tests(paths: List[str]) -> Dict[str, str]:
    """The ``cuda``-marked tests; a summary such as ``12 passed, 300 deselected``."""
    result = run_command([sys.executable, '-m', 'pytest', *paths, '-m', 'cuda', '-q', '-rs',
                          '-p', 'no:cacheprovider'])
    if result['status'].startswith('FAILED (exit 5)'):
        result['status'] = 'FAILED: no cuda-marked test was collected'
    return result


def nccl_run(data_root: str, out_dir: str, smoke: bool = False) -> Dict[str, str]:
    """Two processes train one epoch of the ResNet-18 HcTri config (NCCL on GPUs, else gloo)."""
    env = dict(os.environ, PORT=str(29500 + os.getpid() % 1000), PYTHON=sys.executable)
    options = data_options(osp.join(REPO, NCCL_CONFIG), data_root, smoke) + [
        'train_cfg.max_epochs=1', 'val_dataloader=None', 'val_cfg=None', 'val_evaluator=None']
    work_dir = osp.abspath(osp.join(out_dir, 'nccl_run'))
    return run_command(['bash', 'tools/dist_train.sh', NCCL_CONFIG, '2', '--work-dir', work_dir,
                        '--cfg-options', *options], env=env)


def loader_row(figures: dict) -> str:
    return (f'| {figures["name"]} | {figures["batch_size"]} | {figures["workers"]} | '
            f'{figures["loader"]:.0f} | {figures["loader_per_worker"]:.0f} | '
            f'{figures["reference"]:.0f} | {figures["loader_per_worker_vs_reference"]:.2f} |')


def training_row(figures: dict) -> str:
    height, width = figures['input_shape']
    return (f'| {figures["name"]} | {figures["amp"] or "fp32"} | {figures["batch_size"]} x '
            f'{height}x{width} | {figures["loader"]:.0f} | {figures["model"]:.0f} | '
            f'{figures["end_to_end"]:.0f} | {figures["stall_ratio"]:.2f} | '
            f'{figures["model_peak_mib"]:.0f} | {figures["end_to_end_wall"]:.0f} |')


def markdown(loader_runs: List[dict], training_runs: List[dict], steps: Dict[str, dict],
             device: Optional[str], seconds: float) -> str:
    """The report: environment, the CPU part, the accelerator part and the other steps."""
    gpu = torch.cuda.get_device_name() if device == 'cuda' else 'none'
    lines = [
        '# Device check', '',
        f'GPU: {gpu} (x{gpu_count()}); torch {torch.__version__}, CUDA {torch.version.cuda}, '
        f'cuDNN {torch.backends.cudnn.version()}; {os.cpu_count()} CPU cores; '
        f'{time.strftime("%Y-%m-%d %H:%M")}, {seconds:.0f} s in all', '',
        '## Data loader (CPU part), images/s', '',
        '| run | batch | workers | loader | per worker | decode + resize | per worker / '
        'decode + resize |', '|---|---|---|---|---|---|---|',
        *map(loader_row, loader_runs)]
    if training_runs:
        memory = 'CUDA max allocated' if device == 'cuda' else 'peak RSS'
        lines += ['', f'## Training on {device}, images/s', '',
                  f'| run | precision | batch x input | loader | model | end to end | stall '
                  f'ratio | {memory} MiB | wall s |', '|---|---|---|---|---|---|---|---|---|',
                  *map(training_row, training_runs)]
    if steps:
        lines += ['', '## Other steps', '', '| step | status | wall s | last line |',
                  '|---|---|---|---|']
        lines += [f'| {name} | {step["status"]} | {step["seconds"]} | '
                  f'{step["summary"].replace("|", "/")} |' for name, step in steps.items()]
    return '\n'.join(lines) + '\n'


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    os.makedirs(args.out_dir, exist_ok=True)
    data_root = osp.abspath(args.data_root or benchmark_data(args.out_dir))
    loader_runs = [benchmark(name, args, data_root, 'cpu', ['loader']) for name in RUNS]
    training_runs, steps = [], {}
    if args.device:
        steps['cuda tests'] = cuda_tests(args.test_paths)
        for name in RUNS:
            for amp in (None, 'auto'):
                training_runs.append(benchmark(name, args, data_root, args.device,
                                               ['loader', 'training'], amp))
        if gpu_count() >= 2:
            steps['2-process training (NCCL on GPUs)'] = nccl_run(data_root, args.out_dir,
                                                                  args.smoke)
    report = markdown(loader_runs, training_runs, steps, args.device,
                      time.perf_counter() - start)
    path = osp.join(args.out_dir, 'device_check.md')
    with open(path, 'w') as f:
        f.write(report)
    print(report)
    if not args.device:
        print(f'device check: no CUDA device here (torch.cuda.is_available() is False); ran the '
              f'CPU part only, figures in {path}')
    else:
        print(f'device check: figures in {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
