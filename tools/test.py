"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out metrics.json]``.

``--out`` writes, besides the config name and the checkpoint file with its
SHA-256, one entry per number: its value (mean over the trials), the per-trial
values and how it was made (data set and version, split, search direction,
gallery draw, number of trials, re-ranking, flip TTA); see
``docs/en/user_guides/evaluation_protocols.md``.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.runner import Runner

from vireid_toolbox.utils import destroy_distributed
from vireid_toolbox.utils.checkpoint import file_sha256
from vireid_toolbox.utils.data_check import check_datasets
from vireid_toolbox.utils.tool_utils import (add_common_arguments, load_config,
                                             load_weights_strictly, one_line_errors, read_weights,
                                             set_launcher, set_work_dir)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (evaluate) a VI-ReID model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    add_common_arguments(parser)
    return parser.parse_args()


def labelled_metrics(metrics: dict, evaluator) -> dict:
    """Every number with the labels its metric recorded (``{'value': x}`` when it has none)."""
    report = {}
    for metric in evaluator.metrics:
        report.update(getattr(metric, 'report', {}))
    return {key: report.get(key, dict(value=float(value))) for key, value in metrics.items()}


def write_metrics(metrics: dict, evaluator, config: str, checkpoint: str, out: str) -> None:
    """Write the labelled metrics as JSON, creating the directory."""
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    record = dict(config=osp.basename(config), checkpoint=osp.abspath(checkpoint),
                  checkpoint_sha256=file_sha256(checkpoint),
                  metrics=labelled_metrics(metrics, evaluator))
    with open(out, 'w') as f:
        json.dump(record, f, indent=2)


def main():
    args = parse_args()
    with one_line_errors('test.py'):
        cfg = load_config(args.config, args.cfg_options)
        set_work_dir(cfg, args.config, args.work_dir)
        weights = read_weights(args.checkpoint)  # a bad file is named before the Runner logs
        check_datasets(cfg, ['test_dataloader'])
        created_group = set_launcher(cfg, args.launcher)
    try:
        runner = Runner.from_cfg(cfg)
        with one_line_errors('test.py'):
            load_weights_strictly(runner.model, args.checkpoint, weights)
            metrics = runner.test()
        if args.out and is_main_process():
            write_metrics(metrics, runner.test_loop.evaluator, args.config, args.checkpoint, args.out)
    finally:
        if created_group:
            destroy_distributed()


if __name__ == '__main__':
    main()
