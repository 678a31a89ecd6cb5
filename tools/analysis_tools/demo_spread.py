"""How far `make demo`'s table moves with the training seed, and the README's demo tables.

The demo is deterministic for one machine kind (same CPU, same thread count): the same command
prints the same table. Another machine sums floats in another order, and a short from-scratch
run amplifies such differences like a change of seed. So the README states the table of seed 0
(what this machine kind prints) and the spread over several seeds (where another machine's run
should fall), and ``tools/run_demo.py`` prints its own result beside that spread.

``python tools/analysis_tools/demo_spread.py --seeds 0 1 2 3 4`` runs ``tools/run_demo.py
--seed S`` for each seed (``--work-dir``/seed_S), writes every seed's numbers to ``--out``
(``demo/spread.json``) and prints the tables; ``--update-readme`` also rewrites them between
README.md's ``<!-- demo-table:start -->`` / ``<!-- demo-table:end -->`` markers.
``--collect`` gathers seeds already run into ``--work-dir``/seed_S (e.g. in parallel, by
``tools/run_demo.py --seed S --work-dir .../seed_S``) instead of running them. ``--render`` only
rewrites README.md from an existing ``--out`` and ``--check`` compares (exit status 1 when
README.md is out of date).
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import time
from typing import Dict, List

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPREAD_FILE = osp.join('demo', 'spread.json')
START = '<!-- demo-table:start -->'
END = '<!-- demo-table:end -->'
SETTINGS = ('all-single', 'all-multi', 'indoor-single', 'indoor-multi')
COLUMNS = ('R1', 'R10', 'R20', 'mAP', 'mINP')
SPREAD_COLUMNS = ('R1', 'mAP', 'mINP')  # what the spread table and run_demo.py's check show

Values = Dict[str, Dict[str, Dict[str, List[float]]]]
"""method -> setting -> metric -> one value per seed (percent)."""


def table_header(columns) -> List[str]:
    """The two header lines of a Markdown table of ``method | setting | columns``."""
    return ['| method | setting | ' + ' | '.join(columns) + ' |',
            '|---|---|' + '---:|' * len(columns)]


def setting_key(metrics: Dict[str, float], setting: str, name: str) -> str:
    """The metrics.json key of ``name`` in ``setting``, with the tags the method's evaluation adds
    (``sysu/all-single+flip/R1`` for a flip-TTA method such as DEEN, AGW, CAJ)."""
    keys = [key for key in metrics
            if key.split('/')[-1] == name and key.split('/')[1].split('+')[0] == setting]
    if len(keys) != 1:
        raise KeyError(f'one key of {setting}/{name} expected among the metrics, found {keys}')
    return keys[0]


def read_spread(path: str) -> dict:
    """The spread file; a missing or malformed one is an error naming it."""
    if not osp.isfile(path):
        raise ValueError(f'{path} does not exist (tools/analysis_tools/demo_spread.py writes it)')
    with open(path) as f:
        spread = json.load(f)
    for key in ('seeds', 'values', 'command', 'machine'):
        if key not in spread:
            raise ValueError(f'{path}: key {key!r} is missing')
    for method, settings in spread['values'].items():
        for setting, metrics in settings.items():
            for metric, values in metrics.items():
                if len(values) != len(spread['seeds']):
                    raise ValueError(f'{path}: values.{method}.{setting}.{metric} has '
                                     f'{len(values)} values for {len(spread["seeds"])} seeds')
    return spread


def summary(values: List[float]) -> dict:
    """Mean, sample standard deviation, min and max of one metric over the seeds."""
    return dict(mean=statistics.fmean(values),
                std=statistics.stdev(values) if len(values) > 1 else 0.0,
                min=min(values), max=max(values))


def seed_table(spread: dict, seed: int) -> List[str]:
    """The demo's table (as run_demo.py prints it) of one measured seed."""
    index = spread['seeds'].index(seed)
    lines = table_header(COLUMNS)
    for method, settings in spread['values'].items():
        for setting in SETTINGS:
            cells = [f'{settings[setting][name][index]:.1f}' for name in COLUMNS]
            lines.append(f'| {method} | {setting} | ' + ' | '.join(cells) + ' |')
    return lines


def spread_table(spread: dict) -> List[str]:
    """Mean ± std (min–max) over the seeds of R1, mAP and mINP."""
    lines = table_header(SPREAD_COLUMNS)
    for method, settings in spread['values'].items():
        for setting in SETTINGS:
            cells = []
            for name in SPREAD_COLUMNS:
                s = summary(settings[setting][name])
                cells.append(f'{s["mean"]:.1f} ± {s["std"]:.1f} ({s["min"]:.1f}–{s["max"]:.1f})')
            lines.append(f'| {method} | {setting} | ' + ' | '.join(cells) + ' |')
    return lines


def readme_block(spread: dict) -> str:
    """What README.md holds between the demo-table markers."""
    seeds = spread['seeds']
    first = seeds[0]
    seed_list = ', '.join(str(s) for s in seeds)
    lines = [START,
             f'Seed {first}, the default (`make demo`; percent, mean of 10 gallery trials):', '',
             *seed_table(spread, first), '',
             f'Over seeds {seed_list}: mean ± standard deviation (min–max), percent:', '',
             *spread_table(spread), '',
             f'Measured by `{spread["command"]}` ({spread["machine"]}); every seed\'s numbers '
             f'are in [`{SPREAD_FILE}`]({SPREAD_FILE}).',
             END]
    return '\n'.join(lines)


def render_readme(readme: str, spread: dict) -> str:
    """README.md's text with its demo-table block replaced."""
    if readme.count(START) != 1 or readme.count(END) != 1:
        raise ValueError(f'README.md must hold one {START} and one {END} marker')
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return head + readme_block(spread) + tail


def beside_spread(own: Dict[str, Dict[str, float]], spread: dict) -> List[str]:
    """This run's R1 / mAP / mINP beside the seeds' min–max, marking values outside it.

    ``own`` maps method -> ``sysu/<setting>/<metric>`` -> value, as metrics.json holds it.
    """
    seeds = ', '.join(str(s) for s in spread['seeds'])
    lines = [f'this run beside the spread over seeds {seeds} ({SPREAD_FILE}): '
             'value [min–max], * = outside', '', *table_header(SPREAD_COLUMNS)]
    for method, metrics in own.items():
        if method not in spread['values']:
            lines.append(f'| {method} | (no spread measured) |' + ' |' * len(SPREAD_COLUMNS))
            continue
        for setting in SETTINGS:
            cells = []
            for name in SPREAD_COLUMNS:
                value = metrics[setting_key(metrics, setting, name)]
                s = summary(spread['values'][method][setting][name])
                mark = '' if s['min'] - 0.05 <= value <= s['max'] + 0.05 else ' *'
                cells.append(f'{value:.1f}{mark} [{s["min"]:.1f}–{s["max"]:.1f}]')
            lines.append(f'| {method} | {setting} | ' + ' | '.join(cells) + ' |')
    return lines


def collect(work_dirs: Dict[int, str], methods: List[str]) -> Values:
    """Every seed's metrics.json values, as ``Values``."""
    from vireid_toolbox.evaluation.metrics_file import metric_values
    values: Values = {}
    for work_dir in work_dirs.values():
        for method in methods:
            if not osp.isfile(osp.join(work_dir, method.lower(), 'metrics.json')):
                raise ValueError(f'{work_dir}/{method.lower()}/metrics.json does not exist: '
                                 'that seed has not run')
    for method in methods:
        values[method] = {setting: {name: [] for name in COLUMNS} for setting in SETTINGS}
        for seed, work_dir in work_dirs.items():
            metrics = metric_values(osp.join(work_dir, method.lower(), 'metrics.json'))
            for setting in SETTINGS:
                for name in COLUMNS:
                    values[method][setting][name].append(
                        metrics[setting_key(metrics, setting, name)])
    return values


def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else the architecture."""
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> str:
    """What the numbers depend on besides the seed: CPU, threads, torch."""
    import torch
    return (f'{os.cpu_count()} CPU cores ({cpu_name()}), {torch.get_num_threads()} torch threads, '
            f'torch {torch.__version__}, no GPU used')


def parse_args():
    parser = argparse.ArgumentParser(description='Spread of the demo table over training seeds')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument('--methods', nargs='+', default=None,
                        help='passed to run_demo.py (default: its default methods)')
    parser.add_argument('--work-dir', default='work_dirs/demo_spread')
    parser.add_argument('--out', default=SPREAD_FILE, help='the spread file (JSON)')
    parser.add_argument('--update-readme', action='store_true',
                        help='also rewrite the demo tables of README.md')
    parser.add_argument('--collect', action='store_true',
                        help='only collect the seeds already run into --work-dir/seed_S')
    parser.add_argument('--render', action='store_true',
                        help='only rewrite README.md from --out (no training)')
    parser.add_argument('--check', action='store_true',
                        help='only compare README.md with --out; exit 1 when out of date')
    return parser.parse_args()


def run_demo(seed: int, methods: List[str], work_dir: str) -> None:
    """``tools/run_demo.py`` with one seed into ``work_dir``."""
    start = time.time()
    print(f'==> seed {seed}: tools/run_demo.py in {work_dir}', flush=True)
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'run_demo.py'), '--seed', str(seed),
                    '--methods', *methods, '--work-dir', work_dir, '--no-spread'], cwd=REPO,
                   check=True)
    print(f'==> seed {seed} took {(time.time() - start) / 60:.1f} min', flush=True)


def run_seeds(args) -> dict:
    """Run (or with ``--collect`` only gather) the demo of every seed: the spread file's content."""
    sys.path.insert(0, osp.join(REPO, 'tools'))
    from run_demo import DEFAULT_METHODS
    methods = args.methods or list(DEFAULT_METHODS)
    work_dirs = {seed: osp.join(osp.abspath(args.work_dir), f'seed_{seed}') for seed in args.seeds}
    if not args.collect:
        for seed, work_dir in work_dirs.items():
            run_demo(seed, methods, work_dir)
    seeds = ' '.join(str(s) for s in args.seeds)
    command = f'python tools/analysis_tools/demo_spread.py --seeds {seeds}'
    if args.methods:
        command += ' --methods ' + ' '.join(args.methods)
    if args.collect:
        command = (f'python tools/run_demo.py --seed S --work-dir DIR/seed_S for S in {seeds}, '
                   f'then {command} --work-dir DIR --collect')
    return dict(command=command, machine=machine(), seeds=list(args.seeds),
                values=collect(work_dirs, methods))


def main():
    args = parse_args()
    out = osp.join(REPO, args.out) if not osp.isabs(args.out) else args.out
    readme_path = osp.join(REPO, 'README.md')
    try:
        if args.render or args.check:
            spread = read_spread(out)
        else:
            spread = run_seeds(args)
            with open(out, 'w') as f:
                json.dump(spread, f, indent=1)
                f.write('\n')
        with open(readme_path) as f:
            readme = f.read()
        rendered = render_readme(readme, spread)
    except ValueError as error:
        print(f'demo_spread.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    if args.check:
        if rendered != readme:
            print(f'demo_spread.py: README.md demo tables differ from {args.out}; run '
                  'python tools/analysis_tools/demo_spread.py --render', file=sys.stderr)
            sys.exit(1)
        return
    if args.render or args.update_readme:
        with open(readme_path, 'w') as f:
            f.write(rendered)
    print(readme_block(spread))


if __name__ == '__main__':
    main()
