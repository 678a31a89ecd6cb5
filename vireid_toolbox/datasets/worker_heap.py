"""A data-loader worker keeps the heap it frees, instead of faulting it in again every sample.

Each sample allocates and frees a few image-sized buffers (decoded, resized,
padded, planar: ~120-180 kB at 384x128). glibc serves blocks above its mmap
threshold with fresh pages and gives the heap's free top back to the kernel
above its trim threshold; both thresholds move with what the process has
freed so far, so whether every sample faults its buffers in anew depends on
the worker's history: a PDFENet loader built alone faulted its buffers in anew
every sample, one built by the Runner after the model did not. Fixed
thresholds (glibc's ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``,
set from inside the worker) keep the heap mapped whatever came before
(``tests/test_datasets/test_worker_heap.py``: over 100 faults per sample's
buffers under small thresholds, none once kept). A worker then holds on to its
peak heap (a few MB) until it exits.
"""
import ctypes
import ctypes.util
import functools
import os
from typing import Optional

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 8 << 20
"""Blocks from this size on get their own mapping (whole batches, not a sample's buffers)."""
TRIM_THRESHOLD_BYTES = 32 << 20
"""Free heap top kept mapped up to this size."""

_tuned_pid: Optional[int] = None


@functools.lru_cache(maxsize=None)
def _glibc_mallopt():
    """glibc's ``mallopt``, looked up once; None elsewhere (e.g. macOS: its allocator, its
    behaviour)."""
    mallopt = getattr(ctypes.CDLL(ctypes.util.find_library('c')), 'mallopt', None)
    if mallopt is not None:
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt


def keep_worker_heap() -> bool:
    """Set this process's glibc thresholds, once per process; False where there is no glibc."""
    global _tuned_pid
    if _tuned_pid == os.getpid():
        return True
    mallopt = _glibc_mallopt()
    if mallopt is None or not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                               and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)):
        return False
    _tuned_pid = os.getpid()
    return True
