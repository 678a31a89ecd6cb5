"""tools/analysis_tools/benchmark_train.py on a main config (CPU, a tiny run in this process).

The config keeps its model, sampler, pipeline and hooks; device_check's smoke options make the
backbone, the batch and the input small and point the data root at the tiny synthetic set. Every
method's main config, with and without AMP, runs through the tool in test_device_check.py.
"""
import mmap
import os
import os.path as osp
import sys
import time

import pytest
from mmengine.config import Config

from conftest import REPO, make_workspace

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import benchmark_train  # noqa: E402
import device_check  # noqa: E402

PDFENET = osp.join(REPO, device_check.RUNS['PDFENet, cached pose'])


@pytest.fixture
def workspace(tmp_path, tiny_sysu_root, monkeypatch):
    monkeypatch.chdir(make_workspace(tmp_path, tiny_sysu_root))
    return tmp_path


def test_pdfenet_through_a_worker_reports_all_parts(workspace, tiny_sysu_root, capsys):
    out = workspace / 'figures.json'
    figures = benchmark_train.main([
        PDFENET, '--device', 'cpu', '--iters', '1', '--warmup', '0', '--workers', '1',
        '--rounds', '3', '--out', str(out), '--cfg-options',
        *device_check.data_options(PDFENET, tiny_sysu_root, smoke=True)])
    printed = capsys.readouterr().out
    for line in ('loader:', 'reference:', 'loader stages', 'model:', 'end to end:',
                 'stall ratio end to end / min(loader, model):'):
        assert line in printed, f'{line!r} missing from\n{printed}'
    assert figures['batch_size'] == 4 and figures['input_shape'] == [96, 32]
    assert figures['workers'] == 1 and figures['pin_memory'] is False
    pipeline = Config.fromfile(PDFENET).train_dataloader.dataset.pipeline
    assert list(figures['stages_us']) == ['sampler', 'data info',
                                          *(step['type'] for step in pipeline), 'collate']
    assert all(figures[part] > 0 for part in ('loader', 'reference', 'model', 'end_to_end'))
    # the worker's CPU time in the timed batch (read from /proc: below one clock tick here)
    assert figures['loader_worker_cpu_us'] >= 0 and figures['loader_main_cpu_us'] >= 0
    assert figures['loader_per_worker'] == figures['loader']
    # three alternate timings of loader and reference; each figure their median, each ratio
    # the median of the rounds' own ratios
    rounds = figures['loader_rounds']
    assert len(rounds) == 3
    assert figures['loader'] == sorted(r['images_per_s'] for r in rounds)[1]
    assert figures['reference'] == sorted(r['reference'] for r in rounds)[1]
    for r in rounds:
        assert r['per_worker_vs_reference'] == pytest.approx(r['images_per_s'] / r['reference'])
    assert figures['loader_per_worker_vs_reference'] == sorted(
        r['per_worker_vs_reference'] for r in rounds)[1]
    assert figures['loader_worker_faults'] >= 0
    assert figures['stall_ratio'] == pytest.approx(
        figures['end_to_end'] / min(figures['loader'], figures['model']))
    assert out.is_file()


def test_cpu_time_and_page_faults_of_a_process_from_proc():
    start, (start_proc, start_faults) = time.process_time(), benchmark_train.process_stat(
        os.getpid())
    while time.process_time() - start < 0.3:
        pass
    fresh = mmap.mmap(-1, 16384 * mmap.PAGESIZE)  # fresh anonymous pages, one fault each
    if hasattr(mmap, 'MADV_NOHUGEPAGE'):
        fresh.madvise(mmap.MADV_NOHUGEPAGE)  # not 2 MB at a time (transparent huge pages)
    for offset in range(0, len(fresh), mmap.PAGESIZE):
        fresh[offset] = 1
    end_proc, end_faults = benchmark_train.process_stat(os.getpid())
    assert end_proc - start_proc == pytest.approx(time.process_time() - start, abs=0.03)
    assert end_faults - start_faults >= 16384
    assert benchmark_train.process_stat(2**22 + 1) is None  # above Linux's largest pid


def test_switches_become_config_entries():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
                      custom_hooks=[dict(type='MomentumUpdateHook')]))
    cfg = benchmark_train.switched_config(cfg, amp='bfloat16', channels_last=True, compile=True)
    assert cfg.optim_wrapper == dict(type='AmpOptimWrapper', dtype='bfloat16',
                                     optimizer=dict(type='Adam'))
    assert [hook['type'] for hook in cfg.custom_hooks] == [
        'MomentumUpdateHook', 'ChannelsLastHook', 'TorchCompileHook']
    assert benchmark_train.amp_dtype('fp16', 'cuda') == 'float16'
    assert benchmark_train.amp_dtype(None, 'cuda') is None


@pytest.mark.parametrize('argv, message', [
    (['--device', 'cuda'], '--device cuda: CUDA is not available on this machine'),
    (['--device', 'cpu', '--amp'], "--amp needs CUDA (mmengine's AmpOptimWrapper)"),
])
def test_bad_input_is_one_line(monkeypatch, capsys, argv, message):
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(benchmark_train.torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        benchmark_train.main([PDFENET, *argv])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == f'benchmark_train.py: error: {message}'


@pytest.mark.cuda
def test_pdfenet_on_cuda_with_amp_and_channels_last(workspace, tiny_sysu_root, capsys):
    """What make device-check runs on a GPU: pinned batches, autocast, CUDA peak memory."""
    figures = benchmark_train.main([
        PDFENET, '--device', 'cuda', '--amp', '--channels-last', '--iters', '1', '--warmup', '0',
        '--workers', '1', '--cfg-options',
        *device_check.data_options(PDFENET, tiny_sysu_root, smoke=True)])
    assert figures['pin_memory'] is True and figures['gpu'] and figures['cuda']
    assert figures['amp'] in ('bfloat16', 'float16') and figures['channels_last'] is True
    assert figures['model_peak_mib'] > 0 and figures['end_to_end'] > 0
    assert 'CUDA max_memory_allocated' in capsys.readouterr().out
