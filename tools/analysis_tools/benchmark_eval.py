"""Time the full SYSU-MM01 protocol at the real image counts, on random features.

Four settings (all/indoor x single/multi-shot) x ``--trials`` seeded gallery
draws, 3,803 infrared queries, per-(camera, id) counts read from the official
``rand_perm_cam.mat``. Two implementations evaluate the same features:

* the toolbox, as ``BaseVIReIDMetric.evaluate_galleries`` runs it: one
  query x visible-pool distance matrix, then one :func:`rank_metrics_subsets`
  call that ranks every trial's gallery as a subset of the pool's columns;
* a straightforward reference written here, as the community code runs it:
  per trial a distance matrix for that gallery, then a loop over queries
  (sort, camera rule, deduplicated CMC, AP, INP). Its distances are computed
  as the toolbox's (``1 - q @ g.T`` in torch; bitwise the same entries), so
  any difference in the numbers comes from the ranking.

The distance matmuls (inherent to both, dominated by the feature dimension)
are timed apart from the ranking. It prints both times, the ratios of the
ranking alone and end to end, the peak memory of the toolbox path, the
largest difference between the two sets of numbers and which targets of the
evaluation issue are met (>= 30x faster than the loop, < 3 s, < 2 GiB)::

    python tools/analysis_tools/benchmark_eval.py [--rand-perm PATH] [--dim 2048] [--repeats 3]
"""
import argparse
import contextlib
import os
import os.path as osp
import random
import resource
import time
import tracemalloc

import numpy as np
import torch

from vireid_toolbox.datasets.sysu_mm01 import SYSU_GALLERY_CAMERAS, sysu_image_counts
from vireid_toolbox.evaluation.functional import rank_metrics_subsets

# the official protocol files kept in the repository (a real data set has them in <data_root>/exp/)
PROTOCOL_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tests', 'data',
                        'sysu_mm01_protocol')
TARGET_SPEED_UP = 30.0
TARGET_SECONDS = 3.0
TARGET_MEMORY_MIB = 2048
SETTINGS = [('all', 1), ('all', 10), ('indoor', 1), ('indoor', 10)]
QUERY_CAMERAS = (3, 6)
IGNORE_CAM_PAIRS = ((3, 2), )


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark the SYSU-MM01 evaluation protocol')
    parser.add_argument('--rand-perm', default=osp.join(PROTOCOL_DIR, 'rand_perm_cam.mat'),
                        help='official rand_perm_cam.mat (gives the per-(camera, id) counts)')
    parser.add_argument('--test-ids', default=None,
                        help='official test_id.mat (default: next to --rand-perm)')
    parser.add_argument('--dim', type=int, default=2048, help='feature dimension')
    parser.add_argument('--trials', type=int, default=10, help='gallery draws per setting')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random features')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs of the toolbox path (the best one is reported)')
    return parser.parse_args()


def load_test_ids(path: str):
    if not osp.isfile(path):
        raise SystemExit(f'benchmark_eval.py: test id file {path} does not exist (--test-ids)')
    from scipy.io import loadmat
    try:
        return sorted(int(i) for i in loadmat(path)['id'].ravel())
    except (KeyError, ValueError) as err:
        raise SystemExit(f'benchmark_eval.py: {path} holds no "id" array: {err}')


def synthetic_test_set(counts, test_ids):
    """Per image: (pid, camera, index within its (camera, id)), in SYSU folder order."""
    images = [(pid, cam, i) for pid in test_ids for cam in range(1, 7)
              for i in range(counts.get((cam, pid), 0))]
    return np.array(images, dtype=np.int64)


def seeded_gallery(images, test_ids, mode, shots, trial):
    """Row indices of the reference draw (``random.seed(trial)``, ids, then cameras)."""
    rng = random.Random(trial)
    rows = []
    for pid in test_ids:
        for cam in SYSU_GALLERY_CAMERAS[mode]:
            group = np.flatnonzero((images[:, 0] == pid) & (images[:, 1] == cam))
            if not len(group):
                continue
            if shots == 1:
                rows.append(rng.choice(list(group)))
            else:
                rows.extend(rng.sample(list(group), min(shots, len(group))))
    return np.array(rows, dtype=np.int64)


def reference_eval(distmat, q_ids, g_ids, q_cams, g_cams, max_rank=20):
    """The community loop: per query, sort, drop ignored cameras, deduplicate, AP and INP."""
    cmcs, aps, inps = [], [], []
    for i in range(len(q_ids)):
        order = np.argsort(distmat[i], kind='stable')
        keep = np.ones(len(order), dtype=bool)
        for cam_q, cam_g in IGNORE_CAM_PAIRS:
            if q_cams[i] == cam_q:
                keep &= g_cams[order] != cam_g
        ranked = g_ids[order][keep]
        match = ranked == q_ids[i]
        if not match.any():
            continue
        _, first = np.unique(ranked, return_index=True)
        cmc = np.cumsum(ranked[np.sort(first)] == q_ids[i])
        cmcs.append(np.concatenate([cmc, np.ones(max(0, max_rank - len(cmc)))])[:max_rank])
        hits = np.flatnonzero(match)
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1.0)))
        inps.append(len(hits) / (hits[-1] + 1.0))
    return np.mean(cmcs, axis=0), np.mean(aps), np.mean(inps)


def summary(cmc, mAP, mINP):
    return np.array([cmc[0], cmc[4], cmc[9], cmc[19], mAP, mINP]) * 100


def distances(queries: torch.Tensor, gallery: torch.Tensor) -> np.ndarray:
    """``1 - cos`` of L2-normalised features, as the metrics compute it."""
    return (1.0 - queries @ gallery.T).numpy()


class Stopwatch:
    """Wall-clock and process CPU seconds (all threads), accumulated per named part.

    The CPU time shows how much work a part is even when other processes
    share the cores and stretch the wall-clock time.
    """

    def __init__(self):
        self.wall, self.cpu = {}, {}

    @contextlib.contextmanager
    def part(self, name: str):
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu

    def total(self, *names: str):
        """``(wall, cpu)`` seconds of the named parts (all parts by default)."""
        names = names or tuple(self.wall)
        return sum(self.wall[n] for n in names), sum(self.cpu[n] for n in names)

    def describe(self, *names: str) -> str:
        wall, cpu = self.total(*names)
        return f'{wall:.2f} s (cpu {cpu:.2f} s)'


def run_toolbox(feats, images, query, galleries):
    """The metrics' path: one query x pool distance matrix, then every trial as a subset of it.

    Returns:
        tuple: ``(results, Stopwatch)`` with parts 'distances', 'rankings'.
    """
    watch = Stopwatch()
    with watch.part('distances'):
        pool = np.unique(np.concatenate(list(galleries.values())))
        pool_dist = distances(torch.from_numpy(feats[query]), torch.from_numpy(feats[pool]))
    with watch.part('rankings'):
        outs = rank_metrics_subsets(
            pool_dist, images[query, 0], images[pool, 0], images[query, 1], images[pool, 1],
            subsets=[np.searchsorted(pool, gallery) for gallery in galleries.values()],
            ignore_cam_pairs=IGNORE_CAM_PAIRS, cmc_mode='unique')
    results = {key: summary(out['cmc'], out['mAP'], out['mINP'])
               for key, out in zip(galleries, outs)}
    return results, watch


def run_reference(feats, images, query, galleries):
    """Per trial its own distance matrix, then the per-query loop.

    Returns:
        tuple: ``(results, Stopwatch)`` with parts 'distances', 'loops'.
    """
    watch = Stopwatch()
    results = {}
    queries = torch.from_numpy(feats[query])
    for key, gallery in galleries.items():
        with watch.part('distances'):
            distmat = distances(queries, torch.from_numpy(feats[gallery]))
        with watch.part('loops'):
            results[key] = summary(*reference_eval(distmat, images[query, 0],
                                                   images[gallery, 0], images[query, 1],
                                                   images[gallery, 1]))
    return results, watch


def load_average() -> str:
    """The 1-minute load average (other processes slow both paths down)."""
    return f'{os.getloadavg()[0]:.2f}'


def verdict(met: bool) -> str:
    return 'met' if met else 'NOT met'


def main():
    args = parse_args()
    counts = sysu_image_counts(args.rand_perm)
    test_ids = load_test_ids(args.test_ids or osp.join(osp.dirname(args.rand_perm), 'test_id.mat'))
    images = synthetic_test_set(counts, test_ids)
    query = np.flatnonzero(np.isin(images[:, 1], QUERY_CAMERAS))
    galleries = {(mode, shots, trial): seeded_gallery(images, test_ids, mode, shots, trial)
                 for mode, shots in SETTINGS for trial in range(args.trials)}
    feats = np.random.default_rng(args.seed).standard_normal((len(images), args.dim),
                                                             dtype=np.float32)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    sizes = {f'{m}-{"single" if s == 1 else "multi"}': len(galleries[(m, s, 0)])
             for m, s in SETTINGS}
    print(f'SYSU-MM01 protocol at real counts: {len(query)} queries, galleries {sizes}, '
          f'{args.trials} trials, {args.dim}-D features, torch threads {torch.get_num_threads()}')

    print(f'load average before: {load_average()} on {os.cpu_count()} cores')
    runs = [run_toolbox(feats, images, query, galleries) for _ in range(max(1, args.repeats))]
    ours, ours_watch = min(runs, key=lambda run: run[1].total()[0])
    tracemalloc.start()  # a separate run: tracing allocations is not free
    run_toolbox(feats, images, query, galleries)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'load average after the toolbox runs: {load_average()}')
    ref, ref_watch = run_reference(feats, images, query, galleries)
    print(f'load average after the reference: {load_average()}')

    ours_total, ref_total = ours_watch.total()[0], ref_watch.total()[0]
    ranking_ratio = ref_watch.total('loops')[0] / ours_watch.total('rankings')[0]
    ranking_cpu_ratio = ref_watch.total('loops')[1] / ours_watch.total('rankings')[1]
    total_ratio = ref_total / ours_total
    diff = max(np.abs(ours[key] - ref[key]).max() for key in galleries)
    print(f'toolbox   : {ours_watch.describe()} = distances once '
          f'{ours_watch.describe("distances")} + {len(galleries)} rankings in one '
          f'rank_metrics_subsets call {ours_watch.describe("rankings")}; best of {len(runs)} runs '
          '(wall: ' + ', '.join(f'{run[1].total()[0]:.2f}' for run in runs) + ' s)')
    print(f'reference : {ref_watch.describe()} = distances per trial '
          f'{ref_watch.describe("distances")} + per-query loops {ref_watch.describe("loops")}')
    print(f'speed-up  : {ranking_ratio:.1f}x ranking only (the protocol; {ranking_cpu_ratio:.1f}x '
          f'in cpu time), {total_ratio:.1f}x end to end (distances included), wall clock')
    print(f'memory    : peak RSS {peak_rss:.0f} MiB after the toolbox runs (features included), '
          f'numpy peak {traced_peak / 2**20:.0f} MiB during the protocol (tracemalloc)')
    print(f'agreement : max |toolbox - reference| over all R1/R5/R10/R20/mAP/mINP = {diff:.2e} %')
    print(f'targets   : >= {TARGET_SPEED_UP:.0f}x faster than the loop: ranking only '
          f'{verdict(ranking_ratio >= TARGET_SPEED_UP)}, end to end '
          f'{verdict(total_ratio >= TARGET_SPEED_UP)}; < {TARGET_SECONDS:.0f} s end to end '
          f'{verdict(ours_total < TARGET_SECONDS)}; < {TARGET_MEMORY_MIB // 1024} GiB '
          f'{verdict(peak_rss < TARGET_MEMORY_MIB)}')
    for mode, shots in SETTINGS:
        mean = np.mean([ours[(mode, shots, t)] for t in range(args.trials)], axis=0)
        print(f'  {mode}-{"single" if shots == 1 else "multi"}: ' +
              ' '.join(f'{name} {value:.2f}'
                       for name, value in zip(('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP'), mean)))


if __name__ == '__main__':
    main()
