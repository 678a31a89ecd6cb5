"""Mean ± std over trained trials (RegDB's 10 splits) as a markdown table.

``python tools/analysis_tools/aggregate_trials.py RESULT [RESULT ...] [--out table.md]
[--keys SUBSTRING ...]``

A RESULT is a metrics JSON written by ``tools/test.py --out`` (one object of
``key: number``) or a work directory, whose newest
``<timestamp>/vis_data/scalars.json`` gives its last validation metrics.
Every metric key present in all results is aggregated (a key missing from
some result is named and left out); ``std`` is the population standard
deviation (``numpy.std``, ``ddof=0``): the 10 RegDB trials are the whole
protocol, not a sample of it. The table is printed and, with ``--out``,
written as markdown.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict, List

import numpy as np

NON_METRIC_KEYS = ('step', 'time', 'data_time', 'epoch', 'iter', 'lr', 'base_lr')


def parse_args():
    parser = argparse.ArgumentParser(description='Aggregate the metrics of several trials')
    parser.add_argument('results', nargs='+', help='test.py --out JSON files or work directories')
    parser.add_argument('--out', help='write the markdown table to this file')
    parser.add_argument('--keys', nargs='+',
                        help='only metric keys containing one of these substrings')
    return parser.parse_args()


def fail(message: str) -> None:
    print(f'aggregate_trials.py: error: {message}', file=sys.stderr)
    sys.exit(2)


def last_validation(work_dir: str) -> Dict[str, float]:
    """The last line with metric keys (``a/b`` names) of a work dir's newest scalars.json."""
    found = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not found:
        fail(f'work directory {work_dir} holds no <timestamp>/vis_data/scalars.json')
    metrics = {}
    with open(found[-1]) as f:
        for line in f:
            record = json.loads(line) if line.strip() else {}
            if any('/' in key for key in record):
                metrics = record
    if not metrics:
        fail(f'{found[-1]} holds no validation metrics')
    return metrics


def read_result(path: str) -> Dict[str, float]:
    """Numeric metrics of one trial."""
    if osp.isdir(path):
        record = last_validation(path)
    elif osp.isfile(path):
        try:
            with open(path) as f:
                record = json.load(f)
        except json.JSONDecodeError as error:
            fail(f'{path} is not a JSON file of metrics: {error.msg}')
        if not isinstance(record, dict):
            fail(f'{path}: expected a JSON object of metric: value, got {type(record).__name__}')
    else:
        fail(f'{path} is neither a metrics JSON file nor a work directory')
    return {key: float(value) for key, value in record.items()
            if key not in NON_METRIC_KEYS and isinstance(value, (int, float))}


def common_keys(results: List[Dict[str, float]], paths: List[str], filters) -> List[str]:
    """Keys in every result (in the first result's order), filtered; report the others."""
    keys = [k for k in results[0] if all(k in r for r in results)]
    partial = sorted({k for r in results for k in r} - set(keys))
    if partial:
        holders = [p for p, r in zip(paths, results) if partial[0] in r]
        print(f'left out {len(partial)} keys missing from some results, e.g. {partial[0]!r} '
              f'(only in {len(holders)} of {len(paths)})', file=sys.stderr)
    if filters:
        keys = [k for k in keys if any(f in k for f in filters)]
    return keys


def markdown_table(results: List[Dict[str, float]], keys: List[str]) -> str:
    """``| metric | mean ± std | min | max |`` over the trials."""
    lines = [f'{len(results)} trials (std: population, ddof=0)', '',
             '| metric | mean ± std | min | max |', '| --- | --- | --- | --- |']
    for key in keys:
        values = np.array([r[key] for r in results], dtype=np.float64)
        lines.append(f'| {key} | {values.mean():.2f} ± {values.std():.2f} | '
                     f'{values.min():.2f} | {values.max():.2f} |')
    return '\n'.join(lines) + '\n'


def main():
    args = parse_args()
    results = [read_result(path) for path in args.results]
    keys = common_keys(results, args.results, args.keys)
    if not keys:
        fail('no metric key is common to all results' +
             (f' and contains one of {args.keys}' if args.keys else ''))
    table = markdown_table(results, keys)
    sys.stdout.write(table)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(table)
        print(f'saved {args.out}')


if __name__ == '__main__':
    main()
