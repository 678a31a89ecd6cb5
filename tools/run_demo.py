"""The main job of the README (``make demo``): from nothing to a table of SYSU-MM01 numbers.

1. generate the embedded synthetic data set in the SYSU-MM01 layout, with its pose cache
   (``data/synthetic_sysu_mm01``; kept for the next run);
2. train PDFENet and the HcTri baseline on it through ``tools/train.py`` (``--methods`` picks
   any method of the model zoo instead: each metafile collection's synthetic-set config);
3. evaluate them through ``tools/test.py`` with the full SYSU-MM01 protocol
   (all/indoor x single/multi-shot, 10 gallery trials);
4. draw loss and metric curves, ranked lists for a few queries and PDFENet's ADMG masks;
5. print R1 / R10 / R20 / mAP / mINP of the methods side by side, and R1 / mAP / mINP beside
   the spread the README states over training seeds (``demo/spread.json``).

Everything lands in ``--work-dir`` (default ``work_dirs/demo``): one sub-directory per method
with its checkpoint, logs, ``metrics.json`` and pictures, and ``results.md`` with the table.
Run from the repository root: ``.venv/bin/python tools/run_demo.py``.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from demo_spread import (COLUMNS, SETTINGS, SPREAD_FILE, beside_spread, read_spread,  # noqa: E402
                         setting_key, table_header)
from update_model_table import ModelIndexError, load_models  # noqa: E402

DATA_ROOT = 'data/synthetic_sysu_mm01'  # what the synthetic configs name, relative to REPO
SYNTHETIC_CONFIG = '_synthetic-sysu-mm01-96x48.py'
DEFAULT_METHODS = ('PDFENet', 'HcTri')  # what `make demo` runs, within its time budget
NUM_QUERIES = 6  # infrared queries drawn as ranked lists


def demo_configs() -> dict:
    """Method (metafile collection) -> its first model's config on the synthetic SYSU-layout set."""
    configs = {}
    try:
        models = load_models(REPO)
    except ModelIndexError as error:
        print(f'run_demo.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    for model in models:
        config = model.get('Config', '')
        if config.endswith(SYNTHETIC_CONFIG):
            configs.setdefault(model['In Collection'], config)
    return configs


METHODS = demo_configs()


def parse_args():
    parser = argparse.ArgumentParser(description='Train and evaluate VI-ReID methods on the '
                                     'synthetic SYSU-MM01-layout data set')
    parser.add_argument('--work-dir', default='work_dirs/demo', help='where everything is written')
    parser.add_argument('--methods', nargs='+', choices=sorted(METHODS),
                        default=list(DEFAULT_METHODS),
                        help=f'methods to run (default: {" ".join(DEFAULT_METHODS)}); each '
                        'trains its model-zoo config on the synthetic set')
    parser.add_argument('--regenerate', action='store_true',
                        help='generate the synthetic data set again even if it exists')
    parser.add_argument('--seed', type=int, default=0,
                        help='training seed (randomness.seed); the README states seed 0 and the '
                        'spread over seeds')
    parser.add_argument('--no-spread', action='store_true',
                        help=f'do not print this run beside the spread of {SPREAD_FILE}')
    return parser.parse_args()


def step(message: str) -> None:
    print(f'\n==> {message}', flush=True)


def run(args, log_file: str) -> None:
    """Run a tool from the repository root, echoing its progress lines and keeping its full log."""
    env = dict(os.environ, PYTHONPATH=REPO)
    with open(log_file, 'w') as log:
        proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in proc.stdout:
            log.write(line)
            if 'Epoch(' in line:
                print('   ' + line[line.index('Epoch('):].rstrip()[:150], flush=True)
            elif line.startswith(('Traceback', 'train.py: error', 'test.py: error')):
                print('   ' + line.rstrip(), flush=True)
        if proc.wait() != 0:
            sys.exit(f'run_demo.py: {" ".join(args[:2])} failed; see {log_file}')


def training_ids_expected(methods) -> int:
    """The number of classes the chosen demo configs' heads are built for (train + val ids)."""
    from mmengine.config import Config
    counts = {Config.fromfile(osp.join(REPO, METHODS[method])).model.head.num_classes
              for method in methods}
    if len(counts) != 1:
        sys.exit(f'run_demo.py: the demo configs disagree on num_classes: {sorted(counts)}')
    return counts.pop()


def ensure_data(regenerate: bool, methods) -> None:
    """Generate the synthetic set unless a complete one for the configs' classes is there."""
    from vireid_toolbox.datasets.synthetic import make_synthetic_sysu_mm01
    root = osp.join(REPO, DATA_ROOT)
    if osp.isfile(osp.join(root, 'pose_cache', 'meta.json')) and not regenerate:
        found = len(read_ids('train') + read_ids('val'))
        expected = training_ids_expected(methods)
        if found == expected:
            print(f'   using the existing {DATA_ROOT} (--regenerate to write it again)')
            return
        print(f'   {DATA_ROOT} has {found} training identities but the configs expect '
              f'{expected} (an older generator): generating it again')
    start = time.time()
    info = make_synthetic_sysu_mm01(root, overwrite=True)
    ids = info['ids']
    print(f'   {info["num_images"]} images, {len(ids["train"]) + len(ids["val"])} training and '
          f'{len(ids["test"])} test identities, in {time.time() - start:.0f} s')


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint the training run just saved last.

    mmengine's ``last_checkpoint`` file names it; the largest ``epoch_*.pth``
    could be left over from an earlier run with a longer schedule.
    """
    pointer, checkpoint = osp.join(work_dir, 'last_checkpoint'), ''
    if osp.isfile(pointer):
        with open(pointer) as f:
            checkpoint = f.read().strip()
    if not osp.isfile(checkpoint):
        sys.exit(f'run_demo.py: training left no checkpoint in {work_dir}')
    return checkpoint


def train_and_test(method: str, config: str, work_root: str, seed: int) -> dict:
    work_dir = osp.join(work_root, method.lower())
    os.makedirs(work_dir, exist_ok=True)
    start = time.time()
    # the metric curves watch the test split during training (keys test-split-monitor-not-a-result/
    # ...); the table is the last checkpoint's, from tools/test.py
    run(['tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options', 'monitor_test_split=True', f'randomness.seed={seed}'],
        osp.join(work_dir, 'train.log'))
    print(f'   trained in {(time.time() - start) / 60:.1f} min')
    checkpoint = last_checkpoint(work_dir)
    metrics_file = osp.join(work_dir, 'metrics.json')
    run(['tools/test.py', config, checkpoint, '--work-dir', work_dir, '--out', metrics_file],
        osp.join(work_dir, 'test.log'))
    from vireid_toolbox.evaluation.metrics_file import metric_values
    return dict(metrics=metric_values(metrics_file), checkpoint=checkpoint, work_dir=work_dir)


def test_images(cameras, per_id: int) -> list:
    """Up to ``per_id`` images of every test identity in ``cameras``: (camera, id, relative path)."""
    root = osp.join(REPO, DATA_ROOT)
    images = []
    for cam in cameras:
        for pid in read_ids('test'):
            folder = osp.join(root, f'cam{cam}', f'{pid:04d}')
            names = sorted(os.listdir(folder)) if osp.isdir(folder) else []
            images += [(cam, pid, osp.join(f'cam{cam}', f'{pid:04d}', n)) for n in names[:per_id]]
    return images


def link_images(images, folder: str) -> None:
    """Symlink images into ``folder`` keeping the ``camN/XXXX/`` layout (identities stay known)."""
    for _, _, rel in images:
        target = osp.join(folder, rel)
        os.makedirs(osp.dirname(target), exist_ok=True)
        if not osp.lexists(target):
            os.symlink(osp.join(REPO, DATA_ROOT, rel), target)


def draw_pictures(method: str, config: str, result: dict) -> None:
    """Loss/metric curves, ranked lists of a few infrared queries and, for PDFENet, ADMG masks."""
    work_dir = result['work_dir']
    run(['tools/analysis_tools/analyze_logs.py', work_dir, '--out-dir',
         osp.join(work_dir, 'curves')], osp.join(work_dir, 'curves.log'))
    retrieval = osp.join(work_dir, 'retrieval')
    queries = test_images((3, ), per_id=1)[:NUM_QUERIES]
    link_images(queries, osp.join(retrieval, 'query'))
    link_images(test_images((1, 2, 4, 5), per_id=100), osp.join(retrieval, 'gallery'))
    run(['demo/retrieval_demo.py', config, result['checkpoint'], '--query',
         osp.join(retrieval, 'query'), '--gallery', osp.join(retrieval, 'gallery'),
         '--query-modality', 'infrared', '--gallery-modality', 'visible', '--out-dir', retrieval],
        osp.join(work_dir, 'retrieval.log'))
    if method == 'PDFENet':
        images = [osp.join(REPO, DATA_ROOT, rel) for _, _, rel in queries[:2]]
        images += [osp.join(REPO, DATA_ROOT, rel) for _, _, rel in test_images((1, ), 1)[:2]]
        run(['tools/analysis_tools/visualize_admg.py', config, result['checkpoint'], '--images',
             *images, '--modalities', 'infrared', 'infrared', 'visible', 'visible', '--out-dir',
             osp.join(work_dir, 'admg')], osp.join(work_dir, 'admg.log'))
    print(f'   pictures in {osp.relpath(work_dir, REPO)}/: curves/, retrieval/'
          + (', admg/' if method == 'PDFENet' else ''))


def results_table(results: dict, num_test_ids: int) -> str:
    lines = [f'SYSU-MM01 protocol on the synthetic test set ({num_test_ids} identities, chance R1 '
             f'= {100 / num_test_ids:.1f} %), mean of 10 gallery trials, percent', '',
             *table_header(COLUMNS)]
    for method, result in results.items():
        for setting in SETTINGS:
            keys = [setting_key(result['metrics'], setting, name) for name in COLUMNS]
            label = keys[0].split('/')[1]  # the setting with its tags, e.g. all-single+flip
            lines.append(f'| {method} | {label} | ' +
                         ' | '.join(f'{result["metrics"][key]:.1f}' for key in keys) + ' |')
    return '\n'.join(lines)


def print_beside_spread(results: dict) -> None:
    """R1 / mAP / mINP of this run beside the README's spread over seeds."""
    try:
        spread = read_spread(osp.join(REPO, SPREAD_FILE))
    except ValueError as error:
        print(f'\n   no spread to compare with: {error}')
        return
    own = {method: result['metrics'] for method, result in results.items()}
    print('\n' + '\n'.join(beside_spread(own, spread)))


def read_ids(split: str) -> list:
    """The ids of ``exp/<split>_id.txt`` of the demo data set."""
    with open(osp.join(REPO, DATA_ROOT, 'exp', f'{split}_id.txt')) as f:
        return [int(i) for i in f.read().replace('\n', ',').split(',') if i.strip()]


def main():
    args = parse_args()
    work_root = osp.abspath(args.work_dir)
    os.makedirs(work_root, exist_ok=True)
    started = time.time()
    step(f'synthetic SYSU-MM01-layout data set in {DATA_ROOT}')
    ensure_data(args.regenerate, args.methods)
    results = {}
    for method in args.methods:
        step(f'{method}: train and test ({METHODS[method]})')
        results[method] = train_and_test(method, METHODS[method], work_root, args.seed)
        draw_pictures(method, METHODS[method], results[method])
    table = results_table(results, len(read_ids('test')))
    with open(osp.join(work_root, 'results.md'), 'w') as f:
        f.write(table + '\n')
    step(f'results (also in {osp.join(args.work_dir, "results.md")}), '
         f'{(time.time() - started) / 60:.1f} min in all')
    print(table)
    if not args.no_spread:
        print_beside_spread(results)


if __name__ == '__main__':
    main()
