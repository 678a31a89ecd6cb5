"""Fixtures shared by the whole suite: the repository paths, a small synthetic
SYSU-MM01-layout data set generated once per session, and a runner for the
command-line tools as subprocesses."""
import importlib.util
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SYSU_PROTOCOL_DIR = osp.join(REPO, 'tests', 'data', 'sysu_mm01_protocol')
IN_PROCESS_EVALUATION = """
test_dataloader = dict(num_workers=0, persistent_workers=False)
test_evaluator = dict(num_trials=2)
"""
"""Config overrides of the tests' short runs: test loader in-process, two gallery trials (the
validation switches copy both)."""
IN_CI = os.environ.get('CI') == 'true'


def cuda_available():
    import torch
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` run where CUDA is available and are skipped, with the reason, elsewhere."""
    if cuda_available():
        return
    skip = pytest.mark.skip(reason='needs CUDA: torch.cuda.is_available() is False on this machine')
    for item in items:
        if 'cuda' in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``CI=true`` a skipped test that does not need a GPU fails: CI never hides a check."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, 'wasxfail') and 'cuda' not in item.keywords:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix('Skipped: ')
        report.outcome = 'failed'
        report.longrepr = f'skipped under CI=true, where every check that needs no GPU must run: {reason}'


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def synthetic_sysu_root(tmp_path_factory):
    """A small synthetic data set in the SYSU-MM01 layout, with its pose cache."""
    from vireid_toolbox.datasets.synthetic import make_synthetic_sysu_mm01
    root = str(tmp_path_factory.mktemp('synthetic_sysu_mm01'))
    make_synthetic_sysu_mm01(root, num_ids=12, images_per_camera=3, num_test_ids=4,
                             num_val_ids=1, size=(128, 64), overwrite=True, seed=0)
    return root


def tool_env(cuda=False):
    """Environment of a tool subprocess: the repository importable, one thread per process, and
    the GPUs hidden unless ``cuda`` (so a CPU test expects the same on a machine with a GPU)."""
    env = dict(os.environ)
    if not cuda:
        env['CUDA_VISIBLE_DEVICES'] = ''
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [REPO, env.get('PYTHONPATH')]))
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MKL_NUM_THREADS', '1')
    return env


def run_tool(*args, check=True, timeout=900, cwd=None, cuda=False, env=None):
    """Run ``python <args>`` from the repository root (GPUs visible only with ``cuda``; ``env``:
    extra environment variables); return the CompletedProcess."""
    proc = subprocess.run([sys.executable, *args], cwd=cwd or REPO,
                          env={**tool_env(cuda), **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} exited {proc.returncode}\n'
                             f'--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}')
    return proc


def run_dist_tool(tool, nproc, *args, cwd, timeout=300, cuda=False, env=None):
    """Run ``tools/<tool>`` (train.py, test.py) in ``nproc`` processes (gloo on the CPU, GPUs
    visible only with ``cuda``) with ``tools/dist_launch.sh``, rendezvous on a free port of
    127.0.0.1; return the CompletedProcess."""
    full_env = dict(tool_env(cuda), PYTHON=sys.executable, PORT=str(free_port()),
                    MASTER_ADDR='127.0.0.1', **(env or {}))
    command = ['bash', osp.join(REPO, 'tools', 'dist_launch.sh'), str(nproc), tool, *args]
    proc = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'{" ".join(command)} exited {proc.returncode}\n'
                             f'--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}')
    return proc


@pytest.fixture(scope='session')
def tiny_sysu_root(tmp_path_factory):
    """A very small SYSU-layout set (4 train ids, 1 image per camera) for runs of the tools
    that test plumbing, not learning: one epoch is 4 iterations of 2 ids x 2 x 2 images."""
    from vireid_toolbox.datasets.synthetic import make_synthetic_sysu_mm01
    root = str(tmp_path_factory.mktemp('tiny_sysu_mm01'))
    make_synthetic_sysu_mm01(root, num_ids=7, images_per_camera=1, num_test_ids=2,
                             num_val_ids=1, size=(64, 32), overwrite=True, seed=1)
    return root


def make_workspace(tmp_path, data_root):
    """A working directory whose ``data/synthetic_sysu_mm01`` (the synthetic configs'
    data root) is ``data_root``."""
    os.makedirs(tmp_path / 'data', exist_ok=True)
    os.symlink(data_root, tmp_path / 'data' / 'synthetic_sysu_mm01')
    return tmp_path


def write_config(workspace, base_config, body, name=None):
    """Write a config inheriting ``base_config`` with the overrides ``body``; return its path."""
    path = workspace / (name or 'derived_' + osp.basename(base_config))
    path.write_text(f'_base_ = {base_config!r}\n{body}')
    return str(path)


@pytest.fixture
def synthetic_workspace(tmp_path, synthetic_sysu_root):
    """A working directory where the synthetic configs' data root is ``synthetic_sysu_root``."""
    return make_workspace(tmp_path, synthetic_sysu_root)


def checkpoint_state_dict(path):
    """The ``state_dict`` of a toolbox checkpoint, read with torch's restricted unpickler (memory-
    mapped: the optimizer state next to it is not read)."""
    import torch

    from vireid_toolbox.utils import allow_mmengine_checkpoint_types
    allow_mmengine_checkpoint_types()
    return torch.load(path, map_location='cpu', weights_only=True, mmap=True)['state_dict']


def free_port():
    """A TCP port on the loopback interface that is free now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def logged_scalars(work_dir, metric_prefix='sysu/'):
    """``(losses by step, metrics)`` that rank 0 logged to ``<work_dir>/<run>/vis_data/scalars.json``."""
    (run,) = [d for d in os.listdir(work_dir) if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                                                       'scalars.json'))]
    losses, metrics = {}, {}
    with open(osp.join(work_dir, run, 'vis_data', 'scalars.json')) as f:
        for record in map(json.loads, f):
            if 'loss' in record:
                losses[record['step']] = record['loss']
            metrics.update({k: v for k, v in record.items() if k.startswith(metric_prefix)})
    return losses, metrics


def monitored_scalars(work_dir):
    """Losses by step and the test-split metrics that ``monitor_test_split=True`` logged, under
    the keys ``tools/test.py`` gives them (``sysu/...``)."""
    from vireid_toolbox.utils.validation_switches import MONITOR_PREFIX
    losses, metrics = logged_scalars(work_dir, metric_prefix=f'{MONITOR_PREFIX}/sysu/')
    return losses, {key[len(MONITOR_PREFIX) + 1:]: value for key, value in metrics.items()}


def run_tool_in_process(script, *args, cwd):
    """Run ``python <script> <args>`` from ``cwd`` inside the test process (no interpreter
    start-up); return ``(exit status, stdout, stderr)``. An exception the tool lets escape
    (a stack trace) fails the test."""
    import contextlib
    import io
    import runpy
    stdout, stderr = io.StringIO(), io.StringIO()
    argv, old_cwd, status = sys.argv, os.getcwd(), 0
    sys.argv = [script, *map(str, args)]
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            runpy.run_path(script, run_name='__main__')
    except SystemExit as exit_:
        status = exit_.code
    finally:
        sys.argv = argv
        os.chdir(old_cwd)
    return status, stdout.getvalue(), stderr.getvalue()


def load_tool_module(relative_path):
    """A script under the repository (e.g. ``tools/run_demo.py``) imported as a module."""
    name = osp.splitext(osp.basename(relative_path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
