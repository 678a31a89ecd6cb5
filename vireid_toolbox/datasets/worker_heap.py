"""A data-loader worker keeps the heap it frees, instead of faulting it in again every sample.

Each sample allocates and frees a few image-sized buffers (decoded, resized,
padded, planar: ~120-180 kB at 384x128). glibc serves blocks from 128 kB up
with fresh ``mmap`` pages, or, once it has raised that threshold, gives the
heap's free top back to the kernel whenever it exceeds twice the threshold;
either way every sample faults in its buffers anew. Measured in one worker of
PDFENet's loader: 43 page faults and ~100 µs of system time per image, a
quarter of the worker's time. Fixed thresholds (the ``MALLOC_MMAP_THRESHOLD_``
and ``MALLOC_TRIM_THRESHOLD_`` settings of glibc, set from inside the worker)
keep the heap mapped: 0.5 faults per image. A worker then holds on to its
peak heap (a few MB) until it exits.
"""
import ctypes
import ctypes.util
import os
from typing import Optional

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 8 << 20
"""Blocks from this size on get their own mapping (whole batches, not a sample's buffers)."""
TRIM_THRESHOLD_BYTES = 32 << 20
"""Free heap top kept mapped up to this size."""

_tuned_pid: Optional[int] = None


def keep_worker_heap() -> bool:
    """Set this process's glibc thresholds, once per process; False where there is no glibc."""
    global _tuned_pid
    if _tuned_pid == os.getpid():
        return True
    mallopt = getattr(ctypes.CDLL(ctypes.util.find_library('c')), 'mallopt', None)
    if mallopt is None:  # not glibc (e.g. macOS): its allocator, its behaviour
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    if not (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)):
        return False
    _tuned_pid = os.getpid()
    return True
