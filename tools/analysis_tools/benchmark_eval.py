"""Time the full SYSU-MM01 protocol at the real image counts, on random features.

Four settings (all/indoor x single/multi-shot) x ``--trials`` seeded gallery
draws, 3,803 infrared queries, per-(camera, id) counts read from the official
``rand_perm_cam.mat``. Two implementations evaluate the same features:

* the toolbox: one query x visible-pool distance matrix, then
  :func:`rank_metrics` on each trial's columns (what the metrics do);
* a straightforward reference written here, as the community code runs it:
  per trial a distance matrix for that gallery, then a loop over queries
  (sort, camera rule, deduplicated CMC, AP, INP).

It prints both times, their ratio, the peak memory of the toolbox path and
the largest difference between the two sets of numbers::

    python tools/analysis_tools/benchmark_eval.py [--rand-perm PATH] [--dim 2048]
"""
import argparse
import os.path as osp
import random
import resource
import time
import tracemalloc

import numpy as np
import torch

from vireid_toolbox.datasets.sysu_mm01 import SYSU_GALLERY_CAMERAS, sysu_image_counts
from vireid_toolbox.evaluation.functional import rank_metrics

PROTOCOL_DIR = '/work/shared/data/sysu_mm01_protocol'
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


def run_toolbox(feats, images, query, galleries):
    """One distance matrix for the visible pool, then rank_metrics per trial."""
    start = time.perf_counter()
    pool = np.unique(np.concatenate(list(galleries.values())))
    q = torch.from_numpy(feats[query])
    pool_dist = (1.0 - q @ torch.from_numpy(feats[pool]).T).numpy()
    t_dist = time.perf_counter() - start
    results = {}
    for key, gallery in galleries.items():
        out = rank_metrics(pool_dist[:, np.searchsorted(pool, gallery)], images[query, 0],
                           images[gallery, 0], images[query, 1], images[gallery, 1],
                           ignore_cam_pairs=IGNORE_CAM_PAIRS, cmc_mode='unique')
        results[key] = summary(out['cmc'], out['mAP'], out['mINP'])
    return results, t_dist, time.perf_counter() - start - t_dist


def run_reference(feats, images, query, galleries):
    t_dist = t_loop = 0.0
    results = {}
    for key, gallery in galleries.items():
        start = time.perf_counter()
        distmat = -np.matmul(feats[query], feats[gallery].T)
        t_dist += time.perf_counter() - start
        start = time.perf_counter()
        results[key] = summary(*reference_eval(distmat, images[query, 0], images[gallery, 0],
                                               images[query, 1], images[gallery, 1]))
        t_loop += time.perf_counter() - start
    return results, t_dist, t_loop


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
    sizes = {f'{m}-{"single" if s == 1 else "multi"}': len(galleries[(m, s, 0)]) for m, s in SETTINGS}
    print(f'SYSU-MM01 protocol at real counts: {len(query)} queries, galleries {sizes}, '
          f'{args.trials} trials, {args.dim}-D features, torch threads {torch.get_num_threads()}')

    tracemalloc.start()
    ours, ours_dist, ours_rank = run_toolbox(feats, images, query, galleries)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ref, ref_dist, ref_loop = run_reference(feats, images, query, galleries)

    ours_total, ref_total = ours_dist + ours_rank, ref_dist + ref_loop
    diff = max(np.abs(ours[key] - ref[key]).max() for key in galleries)
    print(f'toolbox   : {ours_total:7.2f} s  (distances once {ours_dist:.2f} s, '
          f'{len(galleries)} rankings {ours_rank:.2f} s)')
    print(f'reference : {ref_total:7.2f} s  (distances per trial {ref_dist:.2f} s, '
          f'per-query loops {ref_loop:.2f} s)')
    print(f'speed-up  : {ref_total / ours_total:.1f}x end to end, '
          f'{ref_loop / ours_rank:.1f}x ranking only')
    print(f'memory    : peak RSS {peak_rss:.0f} MiB after the toolbox run, '
          f'numpy peak {traced_peak / 2**20:.0f} MiB (tracemalloc)')
    print(f'agreement : max |toolbox - reference| over all R1/R5/R10/R20/mAP/mINP = {diff:.2e} %')
    for mode, shots in SETTINGS:
        mean = np.mean([ours[(mode, shots, t)] for t in range(args.trials)], axis=0)
        print(f'  {mode}-{"single" if shots == 1 else "multi"}: ' +
              ' '.join(f'{name} {value:.2f}'
                       for name, value in zip(('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP'), mean)))


if __name__ == '__main__':
    main()
