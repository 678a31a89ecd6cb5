"""Train a VI-ReID model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]``."""
import argparse
import os.path as osp
import warnings

import torch
from mmengine.runner import EpochBasedTrainLoop, Runner

from vireid_toolbox.models.reid import NonFiniteLossError
from vireid_toolbox.utils import destroy_distributed
from vireid_toolbox.utils.data_check import check_datasets
from vireid_toolbox.utils.tool_utils import (UserInputError, add_common_arguments, check_sync_bn,
                                             launched_world_size, load_config, one_line_errors,
                                             pin_memory_on_cuda, require_file, set_launcher,
                                             set_work_dir, split_global_batch)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a VI-ReID model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from PATH, or with no value (or "auto") from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (CUDA only; ignored with a warning on CPU)')
    add_common_arguments(parser)
    return parser.parse_args()


def apply_amp(cfg) -> None:
    """Switch to mmengine's AmpOptimWrapper, which needs a CUDA-like device."""
    if not torch.cuda.is_available():
        warnings.warn('--amp ignored: no CUDA device, training in float32')
        return
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def apply_resume(cfg, resume: str) -> None:
    cfg.resume = True
    if resume == 'auto':
        cfg.load_from = None
    else:
        cfg.load_from = require_file(resume, 'checkpoint to resume from')


def read_data_sets(cfg) -> list:
    """The data loaders a training run reads: training, and validation when configured."""
    validates = all(cfg.get(key) for key in ('val_dataloader', 'val_cfg', 'val_evaluator'))
    return ['train_dataloader'] + (['val_dataloader'] if validates else [])


def divergence_error(runner, error: NonFiniteLossError) -> UserInputError:
    """Where training stopped and which checkpoint is the last good one."""
    last = osp.join(runner.work_dir, 'last_checkpoint')
    kept = 'no checkpoint was saved before'
    if osp.isfile(last):
        with open(last) as f:
            kept = f'the last good checkpoint is {f.read().strip()}'
    epoch = f' (epoch {runner.epoch + 1})' if isinstance(runner.train_loop,
                                                         EpochBasedTrainLoop) else ''
    return UserInputError(f'training stopped at iteration {runner.iter + 1}{epoch}: {error}; '
                          f'{kept}')


def main():
    args = parse_args()
    with one_line_errors('train.py'):
        cfg = load_config(args.config, args.cfg_options)
        set_work_dir(cfg, args.config, args.work_dir)
        pin_memory_on_cuda(cfg, torch.cuda.is_available())
        if args.amp:
            apply_amp(cfg)
        if args.resume is not None:
            apply_resume(cfg, args.resume)
        check_sync_bn(cfg, args.launcher)
        split_global_batch(cfg, launched_world_size(args.launcher))
        check_datasets(cfg, read_data_sets(cfg))
        created_group = set_launcher(cfg, args.launcher)
    try:
        runner = Runner.from_cfg(cfg)
        with one_line_errors('train.py'):
            try:
                runner.train()
            except NonFiniteLossError as error:
                raise divergence_error(runner, error) from None
    finally:
        if created_group:
            destroy_distributed()


if __name__ == '__main__':
    main()
