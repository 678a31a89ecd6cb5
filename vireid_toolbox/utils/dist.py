"""Distributed set-up that also works on machines without CUDA.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally, and
its DDP wrapper passes ``device_ids=[LOCAL_RANK]``; both fail on a CPU-only
machine. Without CUDA the tools therefore create a gloo process group
themselves (the Runner then skips ``init_dist``) and ask for a CPU DDP wrapper.
"""
import os
import subprocess
from typing import Optional

import torch
import torch.distributed as torch_dist


def _slurm_env_to_torch_env() -> None:
    """Translate SLURM_* variables into the RANK/WORLD_SIZE/MASTER_* ones torch reads."""
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        first = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                               capture_output=True, text=True).stdout.split()
        os.environ['MASTER_ADDR'] = first[0] if first else '127.0.0.1'
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_distributed(launcher: str) -> bool:
    """Create a gloo process group when ``launcher`` asks for one and CUDA is absent.

    Returns:
        bool: True when this function created the process group (the caller
        must then use :func:`cpu_ddp_wrapper_cfg` and destroy the group at exit).
    """
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    elif launcher != 'pytorch':
        raise ValueError(f'--launcher {launcher} is not supported on CPU; use pytorch or slurm')
    torch_dist.init_process_group(backend='gloo')
    return True


def cpu_ddp_wrapper_cfg(existing: Optional[dict] = None) -> dict:
    """DDP wrapper config for CPU modules (``device_ids=None``)."""
    cfg = dict(type='MMDistributedDataParallel', broadcast_buffers=False)
    cfg.update(existing or {})
    cfg['device_ids'] = None
    return cfg


def destroy_distributed() -> None:
    """Tear the process group down (without it a gloo rank can abort at exit)."""
    if torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
