"""Loss and metric curves of training runs, as PNG.

``python tools/analysis_tools/analyze_logs.py RUN [RUN ...] --out-dir DIR [--losses KEY ...]
[--metrics KEY ...]``

A RUN is a work directory (its newest ``<timestamp>/vis_data/scalars.json``
is read) or a scalars JSON file written by mmengine's ``LocalVisBackend``
(``scalars.json`` or ``<timestamp>.json``: one JSON object per line).
Training lines (they hold a ``loss``) are plotted against their ``step``, the
global iteration; validation lines (metric keys such as
``sysu/all-single/R1``) against theirs, the epoch for epoch-based runs.
Writes ``losses.png`` and, when the runs validated, ``metrics.png``, and
prints every curve's number of points and last value.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

DEFAULT_METRIC_SUFFIXES = ('/R1', '/mAP', '/mINP')
Curve = Tuple[List[float], List[float]]


def parse_args():
    parser = argparse.ArgumentParser(description='Plot loss and metric curves')
    parser.add_argument('runs', nargs='+', help='work directories or scalars JSON files')
    parser.add_argument('--out-dir', required=True, help='where losses.png / metrics.png go')
    parser.add_argument('--losses', nargs='+',
                        help='loss keys to plot (default: every key containing "loss")')
    parser.add_argument('--metrics', nargs='+',
                        help='metric keys to plot (default: every key ending in '
                        + ', '.join(DEFAULT_METRIC_SUFFIXES) + ')')
    return parser.parse_args()


def fail(message: str) -> None:
    print(f'analyze_logs.py: error: {message}', file=sys.stderr)
    sys.exit(2)


def scalars_file(run: str) -> str:
    """The JSON file of a run: the file itself or a work dir's newest ``scalars.json``."""
    if osp.isfile(run):
        return run
    if not osp.isdir(run):
        fail(f'{run} is neither a work directory nor a scalars JSON file')
    found = sorted(glob.glob(osp.join(run, '*', 'vis_data', 'scalars.json')))
    if not found:
        fail(f'work directory {run} holds no <timestamp>/vis_data/scalars.json')
    return found[-1]


def read_scalars(path: str) -> List[dict]:
    """The JSON lines of a scalars file."""
    records = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    fail(f'{path}, line {line_no} is not JSON: {error.msg}')
    if not records:
        fail(f'{path} holds no logged values')
    return records


def curves(records: Sequence[dict], wanted) -> Dict[str, Curve]:
    """``key -> (steps, values)`` for every key that ``wanted(key)`` accepts."""
    result: Dict[str, Curve] = {}
    for record in records:
        for key, value in record.items():
            if wanted(key) and isinstance(value, (int, float)):
                steps, values = result.setdefault(key, ([], []))
                steps.append(record.get('step', len(steps)))
                values.append(float(value))
    return result


def plot(all_curves: Dict[str, Dict[str, Curve]], ylabel: str, xlabel: str, path: str) -> None:
    """One axes with every run's curves."""
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    several_runs = len(all_curves) > 1
    for run, run_curves in all_curves.items():
        for key, (steps, values) in sorted(run_curves.items()):
            label = f'{run}: {key}' if several_runs else key
            axes.plot(steps, values, marker='o' if len(steps) < 20 else None, label=label)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(fontsize='small')
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main():
    args = parse_args()
    is_loss = (lambda key: key in args.losses) if args.losses else (lambda key: 'loss' in key)
    is_metric = ((lambda key: key in args.metrics) if args.metrics else
                 (lambda key: key.endswith(DEFAULT_METRIC_SUFFIXES)))
    losses, metrics, by_epoch = {}, {}, False
    for run in args.runs:
        records = read_scalars(scalars_file(run))
        train = [r for r in records if any('loss' in key for key in r)]
        by_epoch = by_epoch or any('epoch' in r for r in train)
        losses[run] = curves(train, is_loss)
        metrics[run] = curves([r for r in records if r not in train], is_metric)
    if not any(losses.values()):
        fail('no loss values found' + (f' for {args.losses}' if args.losses else ''))
    os.makedirs(args.out_dir, exist_ok=True)
    outputs = [osp.join(args.out_dir, 'losses.png')]
    plot(losses, 'loss', 'iteration', outputs[0])
    if any(metrics.values()):
        outputs.append(osp.join(args.out_dir, 'metrics.png'))
        plot(metrics, 'metric (%)', 'epoch' if by_epoch else 'validation step', outputs[1])
    for run in args.runs:
        for key, (steps, values) in {**losses[run], **metrics[run]}.items():
            print(f'{run}: {key}: {len(values)} points, last {values[-1]:.6g} at step {steps[-1]}')
    for path in outputs:
        print(f'saved {path}')


if __name__ == '__main__':
    main()
