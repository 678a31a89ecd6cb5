"""keep_worker_heap: a data-loader worker stops faulting in its image buffers anew every sample."""
import ctypes.util
import os
import subprocess
import sys

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from conftest import REPO
from vireid_toolbox.datasets import worker_heap
from vireid_toolbox.datasets.collate import reid_collate
from vireid_toolbox.structures import ReIDDataSample

glibc_only = pytest.mark.skipif(
    ctypes.util.find_library('c') is None
    or not hasattr(ctypes.CDLL(ctypes.util.find_library('c')), 'mallopt'),
    reason='glibc mallopt is not available on this platform')

# a fresh process with glibc's small fixed thresholds, then each sample's buffers (the sizes of
# one 288x144 -> 384x128 sample: decoded, resized, padded, planar) held together and freed
CHURN = """
import ctypes, ctypes.util, resource
import numpy as np
from vireid_toolbox.datasets import worker_heap
mallopt = ctypes.CDLL(ctypes.util.find_library('c')).mallopt
mallopt(worker_heap.M_MMAP_THRESHOLD, 128 << 10)
mallopt(worker_heap.M_TRIM_THRESHOLD, 128 << 10)

def faults_per_sample(samples=20):
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(samples):
        held = [np.ones(n, np.uint8) for n in (124416, 147456, 179376, 147456)]
        del held
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) / samples

before = faults_per_sample()
assert worker_heap.keep_worker_heap() and worker_heap.keep_worker_heap()  # once per process
faults_per_sample()  # the heap grows once
print(before, faults_per_sample())
"""


@glibc_only
def test_freed_buffers_stay_mapped():
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    out = subprocess.run([sys.executable, '-c', CHURN], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    before, after = map(float, out.split())
    assert before > 100  # every buffer in fresh pages (~150 kB: ~37 pages each)
    assert after == 0


class TunedHeapReport(Dataset):
    """Samples that tell whether their worker's heap was tuned when they were made."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        sample = ReIDDataSample().set_gt_label(index)
        sample.set_fresh_metainfo(dict(tuned=worker_heap._tuned_pid == os.getpid()))
        return dict(inputs=torch.zeros(3, 4, 2, dtype=torch.uint8), data_samples=sample)


@glibc_only
def test_reid_collate_tunes_the_worker_not_the_main_process(monkeypatch):
    monkeypatch.setattr(worker_heap, '_tuned_pid', None)  # other tests play worker in-process
    loader = DataLoader(TunedHeapReport(), batch_size=2, num_workers=1, collate_fn=reid_collate)
    batches = [[s.metainfo['tuned'] for s in batch['data_samples']] for batch in loader]
    assert batches == [[False, False], [True, True]]  # from the worker's first collation on
    reid_collate([TunedHeapReport()[0]])
    assert worker_heap._tuned_pid is None
