"""Mean ± std over trials as a markdown table, with how the numbers were made.

``python tools/analysis_tools/aggregate_trials.py RESULT [RESULT ...] [--out table.md]
[--keys SUBSTRING ...]``

A RESULT is a metrics file written by ``tools/test.py --out`` (every number
with its per-trial values and labels), a JSON object of ``key: number``, or a
work directory, whose newest ``<timestamp>/vis_data/scalars.json`` gives its
last validation metrics.

- One metrics file: mean ± std over its trials (the gallery draws of
  SYSU-MM01 / LLCM) for every number.
- Several results: mean ± std over the results (one value each: e.g. the 10
  trained RegDB splits). Every metric key present in all results is
  aggregated (a key missing from some result is named and left out).

``std`` is the population standard deviation (``numpy.std``, ``ddof=0``): the
trials are the whole protocol, not a sample of it. The ``protocol`` column
gives the labels of the numbers (data set, version, split, search, direction,
gallery draw, trials, re-ranking, flip TTA); a label that differs between
results says how many values it takes. The table is printed and, with
``--out``, written as markdown.
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
LABELS = ('dataset', 'dataset_version', 'split', 'search', 'direction', 'gallery_draw',
          'num_trials', 'rerank', 'flip_tta')
Result = Dict[str, dict]
"""key -> ``{'value': mean, 'trials': [...], <labels>}`` (trials and labels when known)."""


def parse_args():
    parser = argparse.ArgumentParser(description='Mean ± std of metrics over trials')
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


def read_result(path: str) -> Result:
    """The numbers of one result, as entries."""
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
        if isinstance(record.get('metrics'), dict):  # tools/test.py --out
            return {key: entry for key, entry in record['metrics'].items()
                    if isinstance(entry, dict) and 'value' in entry}
    else:
        fail(f'{path} is neither a metrics JSON file nor a work directory')
    return {key: dict(value=float(value)) for key, value in record.items()
            if key not in NON_METRIC_KEYS and isinstance(value, (int, float))}


def common_keys(results: List[Result], paths: List[str], filters) -> List[str]:
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


def protocol(entries: List[dict]) -> str:
    """The labels shared by ``entries``; a label that differs says how many values it takes."""
    parts = []
    for label in LABELS:
        values = {str(entry[label]) for entry in entries if label in entry}
        if values:
            parts.append(f'{label}: {values.pop()}' if len(values) == 1
                         else f'{label}: {len(values)} values')
    return '; '.join(parts) or '—'


def samples(results: List[Result], key: str) -> np.ndarray:
    """The values aggregated for ``key``: one result's trials, else each result's value."""
    if len(results) == 1:
        entry = results[0][key]
        if 'trials' not in entry:
            fail(f'{key}: one result without per-trial values; give several results, or a '
                 'metrics file of tools/test.py --out')
        return np.array(entry['trials'], dtype=np.float64)
    return np.array([r[key]['value'] for r in results], dtype=np.float64)


def markdown_table(results: List[Result], keys: List[str]) -> str:
    """``| metric | mean ± std | min | max | n | protocol |``."""
    over = 'the trials of one result' if len(results) == 1 else f'{len(results)} results'
    lines = [f'mean ± std over {over} (std: population, ddof=0)', '',
             '| metric | mean ± std | min | max | n | protocol |',
             '| --- | --- | --- | --- | --- | --- |']
    for key in keys:
        values = samples(results, key)
        lines.append(f'| {key} | {values.mean():.2f} ± {values.std():.2f} | '
                     f'{values.min():.2f} | {values.max():.2f} | {len(values)} | '
                     f'{protocol([r[key] for r in results])} |')
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
