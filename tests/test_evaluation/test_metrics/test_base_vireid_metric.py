"""BaseVIReIDMetric.evaluate_galleries: every trial ranked as a subset of the pool."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vireid_toolbox.evaluation.functional import k_reciprocal_rerank, rank_metrics
from vireid_toolbox.evaluation.metrics.base_vireid_metric import (BaseVIReIDMetric,
                                                                  CollectedFeatures)


def tied_test_set(num=70, seed=0):
    """Features with few distinct directions, so that many distances tie exactly."""
    rng = np.random.default_rng(seed)
    feats = torch.from_numpy(rng.integers(-1, 2, (num, 3)).astype(np.float32) + 0.5)
    return CollectedFeatures(feats=F.normalize(feats, dim=1), pids=rng.integers(0, 6, num),
                             cams=rng.choice([1, 2, 3, 6], num), modalities=np.zeros(num, int),
                             paths=[f'/img/{i}.jpg' for i in range(num)], tta=None)


def shuffled_galleries(num, rng):
    """Two settings of unsorted trial galleries drawn from indices 20..num-1."""
    draw = lambda size: rng.permutation(np.arange(20, num))[:size]  # noqa: E731
    return {'small': [draw(15) for _ in range(3)], 'large': [draw(40) for _ in range(2)]}


def test_trials_rank_as_pool_subsets_with_ties_by_sample_order():
    collected = tied_test_set()
    rng = np.random.default_rng(1)
    query_idx, galleries = np.arange(20), shuffled_galleries(len(collected.pids), rng)
    out = BaseVIReIDMetric(prefix='base').evaluate_galleries(collected, query_idx, galleries,
                                                ignore_cam_pairs=((3, 2), ), cmc_mode='unique')
    pool = np.unique(np.concatenate([g for trials in galleries.values() for g in trials]))
    pool_dist = (1.0 - collected.feats[query_idx] @ collected.feats[pool].T).numpy()
    assert list(out) == list(galleries)
    for setting, trials in galleries.items():
        assert len(out[setting]) == len(trials)
        for result, gallery in zip(out[setting], trials):
            ordered = np.sort(gallery)  # exact ties go by collected-sample order
            expected = rank_metrics(pool_dist[:, np.searchsorted(pool, ordered)],
                                    collected.pids[query_idx], collected.pids[ordered],
                                    collected.cams[query_idx], collected.cams[ordered],
                                    max_rank=20, ignore_cam_pairs=((3, 2), ))
            np.testing.assert_allclose(result['cmc'], expected['cmc'], rtol=0, atol=1e-12)
            assert result['mAP'] == pytest.approx(expected['mAP'], abs=1e-12)
            assert result['mINP'] == pytest.approx(expected['mINP'], abs=1e-12)


def test_reranking_ranks_every_trial_on_its_own():
    collected = tied_test_set(seed=2)
    rng = np.random.default_rng(3)
    query_idx, galleries = np.arange(20), shuffled_galleries(len(collected.pids), rng)
    metric = BaseVIReIDMetric(rerank=True, rerank_cfg=dict(k1=5, k2=2), prefix='base')
    out = metric.evaluate_galleries(collected, query_idx, galleries, ignore_cam_pairs=(),
                                    cmc_mode='standard')
    for setting, trials in galleries.items():
        for result, gallery in zip(out[setting], trials):
            dist = k_reciprocal_rerank(collected.feats[query_idx], collected.feats[gallery],
                                       k1=5, k2=2)
            expected = rank_metrics(dist, collected.pids[query_idx], collected.pids[gallery],
                                    ignore_cam_pairs=(), cmc_mode='standard')
            np.testing.assert_allclose(result['cmc'], expected['cmc'], rtol=0, atol=0)
            assert result['mAP'] == expected['mAP']
