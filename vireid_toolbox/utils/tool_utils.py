"""What tools/train.py, tools/test.py and the demo share: config loading,
launcher set-up and one-line errors for mistakes in the user's input."""
import argparse
import os
import os.path as osp
import sys
from contextlib import contextmanager
from typing import Optional

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.model import is_model_wrapper

from .checkpoint import load_state_dict_strictly, read_checkpoint, state_dict_of
from .config_check import ConfigKeyError, check_config, check_override_keys
from .data_roots import merge_following_data_roots
from .errors import UserInputError
from .dist import cpu_ddp_wrapper_cfg, init_cpu_distributed
from .setup_env import register_all_modules
from .validation_switches import configure_validation


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every runner tool takes (the OpenMMLab conventions)."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. model.backbone.depth=18 train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='job launcher')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config, apply overrides (derived paths following a data root, see
    :mod:`.data_roots`) and the validation switches, and check every key against its class."""
    if not osp.isfile(path):
        raise UserInputError(f'config file {path} does not exist')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    check_override_keys(cfg, cfg_options)
    merge_following_data_roots(cfg, cfg_options)
    cfg.setdefault('default_scope', 'vireid_toolbox')
    check_config(cfg)
    try:
        configure_validation(cfg)
    except ValueError as error:
        raise UserInputError(f'{path}: {error}') from None
    check_config(cfg)  # what the switches added (e.g. hold_out_val on the training set)
    return cfg


def set_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """``--work-dir``, else the config's, else ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def set_launcher(cfg: Config, launcher: str) -> bool:
    """Record the launcher; on CPU create the gloo group and a CPU DDP wrapper.

    Returns:
        bool: whether a process group was created here (destroy it at exit).
    """
    cfg.launcher = launcher
    created = init_cpu_distributed(launcher)
    if created:
        cfg.model_wrapper_cfg = cpu_ddp_wrapper_cfg(cfg.get('model_wrapper_cfg'))
    return created


def launched_world_size(launcher: str) -> int:
    """The number of processes of the job, as the launcher announces it before the Runner
    starts (torchrun's ``WORLD_SIZE``, Slurm's ``SLURM_NTASKS``)."""
    if launcher == 'none':
        return 1
    name = 'SLURM_NTASKS' if launcher == 'slurm' else 'WORLD_SIZE'
    return int(os.environ.get(name, 1))


def check_sync_bn(cfg: Config, launcher: str) -> None:
    """Refuse ``sync_bn`` (mmengine's option: BatchNorm statistics over all processes) for
    multi-process training without CUDA: torch's SyncBatchNorm has no CPU kernels and would fail
    in the first forward pass."""
    if cfg.get('sync_bn') and launcher != 'none' and not torch.cuda.is_available():
        raise UserInputError(f'sync_bn={cfg.sync_bn!r} needs CUDA devices (torch\'s SyncBatchNorm '
                             'has no CPU kernels); remove sync_bn to train on the CPU with '
                             'per-process BatchNorm')


def split_global_batch(cfg: Config, world_size: int) -> None:
    """With ``batch_size_is_global=True``, share the train batch out over ``world_size`` processes.

    ``train_dataloader.batch_size`` is per process (mmengine's convention); the flag makes it the
    batch of the whole job, so a config keeps the paper's batch on any number of processes: each
    process loads ``batch_size / world_size`` images, and a P x K identity sampler draws
    ``num_ids / world_size`` identities with all K images per modality each.

    Raises:
        UserInputError: The batch (or the identities per batch) does not divide evenly.
    """
    if not cfg.get('batch_size_is_global', False) or world_size == 1:
        return
    loader = cfg.train_dataloader
    splits = [('train_dataloader.batch_size', loader, 'batch_size')]
    sampler = loader.get('sampler') or {}
    if 'num_ids' in sampler:
        splits += [('train_dataloader.sampler.num_ids', sampler, 'num_ids'),
                   ('train_dataloader.sampler.batch_size', sampler, 'batch_size')]
    for key, holder, name in splits:
        if holder.get(name) is not None and holder[name] % world_size:
            raise UserInputError(
                f'batch_size_is_global=True: {key}={holder[name]} does not divide evenly over '
                f'{world_size} processes; change the number of processes, the batch, or set '
                'batch_size_is_global=False (the batch is then per process)')
    for _, holder, name in splits:
        if holder.get(name) is not None:
            holder[name] //= world_size


def pin_memory_on_cuda(cfg: Config, cuda: bool) -> None:
    """Let the train loader hand over page-locked batches when training on a GPU.

    Pinned host memory makes the host-to-device copy of every batch faster and
    asynchronous. Off on CPU, where torch warns that nothing can be pinned; a
    ``pin_memory`` the config sets itself is kept.
    """
    if cuda and cfg.get('train_dataloader'):
        cfg.train_dataloader.setdefault('pin_memory', True)


def require_file(path: str, what: str) -> str:
    """Return ``path`` or raise naming the missing ``what``."""
    if not osp.isfile(path):
        raise UserInputError(f'{what} {path} does not exist')
    return path


@contextmanager
def one_line_errors(tool: str):
    """Turn user-input errors into ``<tool>: error: ...`` on stderr and exit code 2."""
    try:
        yield
    except (UserInputError, ConfigKeyError) as error:  # CheckpointError is a UserInputError
        print(f'{tool}: error: {error}', file=sys.stderr)
        sys.exit(2)


def read_weights(checkpoint: str) -> dict:
    """The ``state_dict`` of a checkpoint file, read with torch's restricted unpickler.

    Raises:
        UserInputError: The file is missing.
        CheckpointError: The file is corrupt, holds a refused type or no state dict.
    """
    if not osp.isfile(checkpoint):
        raise UserInputError(f'checkpoint {checkpoint} does not exist')
    return state_dict_of(read_checkpoint(checkpoint), checkpoint)


def load_weights_strictly(model: nn.Module, checkpoint: str,
                          state_dict: Optional[dict] = None) -> None:
    """Load a checkpoint's ``state_dict`` into ``model`` (or the model a wrapper holds).

    Strict, unlike mmengine's ``load_from``, which only logs mismatched keys or
    shapes: evaluating a checkpoint of another config (e.g. another number of
    classes) would otherwise report numbers of a partly random model.

    Args:
        model (nn.Module): The model (or its wrapper).
        checkpoint (str): The checkpoint file.
        state_dict (dict, optional): Its weights when already read
            (:func:`read_weights`); read from ``checkpoint`` otherwise.

    Raises:
        UserInputError: The file is missing.
        CheckpointError: The file is corrupt or does not fit the model.
    """
    if state_dict is None:
        state_dict = read_weights(checkpoint)
    if is_model_wrapper(model):
        model = model.module
    load_state_dict_strictly(model, state_dict, f'checkpoint {checkpoint}',
                             'the model of the config')
