"""Train a VI-ReID model: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]``."""
import argparse
import warnings

import torch
from mmengine.runner import Runner

from vireid_toolbox.utils import destroy_distributed
from vireid_toolbox.utils.tool_utils import (add_common_arguments, load_config, one_line_errors,
                                             require_file, set_launcher, set_work_dir)


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


def main():
    args = parse_args()
    with one_line_errors('train.py'):
        cfg = load_config(args.config, args.cfg_options)
        set_work_dir(cfg, args.config, args.work_dir)
        if args.amp:
            apply_amp(cfg)
        if args.resume is not None:
            apply_resume(cfg, args.resume)
        created_group = set_launcher(cfg, args.launcher)
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
    finally:
        if created_group:
            destroy_distributed()


if __name__ == '__main__':
    main()
