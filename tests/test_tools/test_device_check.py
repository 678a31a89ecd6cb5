"""tools/analysis_tools/device_check.py (``make device-check``) in its smoke mode on CPU: the CPU
part alone as on a machine without CUDA, then every step of the GPU part with the device set to
CPU (AMP under CPU autocast, the 2-process run with gloo)."""
import os.path as osp
import re

from conftest import REPO, run_tool

DEVICE_CHECK = osp.join(REPO, 'tools', 'analysis_tools', 'device_check.py')
# GPU part on CPU: mmengine's AmpOptimWrapper without its CUDA check, two "GPUs" for the
# 2-process step (tools/dist_train.sh then trains with gloo)
AS_IF_TWO_GPUS = f"""
import sys
sys.path.insert(0, {osp.dirname(DEVICE_CHECK)!r})
from mmengine.optim.optimizer import amp_optimizer_wrapper
amp_optimizer_wrapper.is_cuda_available = lambda: True
import device_check
device_check.gpu_count = lambda: 2
sys.exit(device_check.main(sys.argv[1:]))
"""
RUNS = ('HcTri', 'ADMPFF-Net', 'PDFENet, cached pose', 'PDFENet, online pose')


def smoke_args(tmp_path, data_root):
    return ['--smoke', '--data-root', data_root, '--out-dir', str(tmp_path / 'check'),
            '--iters', '1', '--warmup', '0', '--workers', '0']


def table_rows(report, heading):
    section = report.split(heading)[1].split('\n## ')[0]
    rows = [line for line in section.splitlines() if line.startswith('| ') and '---' not in line]
    return rows[1:]


def test_without_cuda_the_cpu_part_and_one_line(tmp_path, tiny_sysu_root):
    proc = run_tool(DEVICE_CHECK, *smoke_args(tmp_path, tiny_sysu_root), timeout=600)
    assert proc.stdout.strip().splitlines()[-1] == (
        'device check: no CUDA device here (torch.cuda.is_available() is False); ran the CPU part '
        f'only, figures in {tmp_path / "check" / "device_check.md"}')
    report = (tmp_path / 'check' / 'device_check.md').read_text()
    assert 'GPU: none' in report and '## Training' not in report
    rows = table_rows(report, '## Data loader (CPU part)')
    assert [row.split(' | ')[0][2:] for row in rows] == list(RUNS)


def test_gpu_part_on_cpu(tmp_path, tiny_sysu_root):
    paths = ['--test-paths', osp.join(REPO, 'tests/test_engine/test_speed_switches.py')]
    proc = run_tool('-c', AS_IF_TWO_GPUS, *smoke_args(tmp_path, tiny_sysu_root), '--device',
                    'cpu', *paths, timeout=900)
    report = (tmp_path / 'check' / 'device_check.md').read_text()
    assert proc.stdout.strip().endswith(f'figures in {tmp_path / "check" / "device_check.md"}')
    rows = table_rows(report, '## Training on cpu')
    assert [(row.split(' | ')[0][2:], row.split(' | ')[1]) for row in rows] == [
        (run, precision) for run in RUNS for precision in ('fp32', 'bfloat16')]
    for row in rows:
        assert row.split(' | ')[2] == '4 x 96x32'
    steps = {row.split(' | ')[0][2:]: row.split(' | ')[1:] for row in
             table_rows(report, '## Other steps')}
    assert steps['cuda tests'][0] == 'ok'
    assert re.search(r'\d+ skipped', steps['cuda tests'][2])  # the cuda tests, skipped on CPU
    assert steps['2-process training (NCCL on GPUs)'][0] == 'ok'
    assert osp.isfile(tmp_path / 'check' / 'nccl_run' / 'epoch_1.pth')
