import importlib

import numpy as np
import pytest
import torch

from vireid_toolbox.evaluation.functional import rank_metrics, rank_metrics_subsets

# the package exports the function under the module's name: fetch the module itself
rank_metrics_module = importlib.import_module('vireid_toolbox.evaluation.functional.rank_metrics')


def loop_reference(distmat, q_ids, g_ids, q_cams, g_cams, *, max_rank=20, pairs=((3, 2), ),
                   unique=True, same_id_cam=False):
    """Per-query loop following AGW ``eval_sysu`` / ``eval_regdb`` / DEEN ``eval_llcm``.

    Differences from the reference, all documented by ``rank_metrics``: a
    stable sort (ties by gallery index) and a CMC padded with its last value
    up to ``max_rank``.
    """
    cmcs, aps, inps = [], [], []
    for i in range(distmat.shape[0]):
        order = np.argsort(distmat[i], kind='stable')
        remove = np.zeros(len(order), dtype=bool)
        for cam_q, cam_g in pairs:
            if q_cams[i] == cam_q:
                remove |= g_cams[order] == cam_g
        if same_id_cam:
            remove |= (g_ids[order] == q_ids[i]) & (g_cams[order] == q_cams[i])
        ranked = g_ids[order][~remove]
        match = (ranked == q_ids[i]).astype(np.int64)
        if not match.any():
            continue
        if unique:
            _, first = np.unique(ranked, return_index=True)
            cmc = (ranked[np.sort(first)] == q_ids[i]).astype(np.int64).cumsum()
        else:
            cmc = np.minimum(match.cumsum(), 1)
        cmc = np.concatenate([cmc, np.full(max(0, max_rank - len(cmc)), cmc[-1])])[:max_rank]
        cmcs.append(cmc)
        hits = np.flatnonzero(match)
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1.0)))
        inps.append(len(hits) / (hits[-1] + 1.0))
    return np.mean(cmcs, axis=0), float(np.mean(aps)), float(np.mean(inps))


def check_against_loop(distmat, q_ids, g_ids, q_cams, g_cams, **options):
    ref_options = dict(pairs=options.get('ignore_cam_pairs', ((3, 2), )),
                       unique=options.get('cmc_mode', 'unique') == 'unique',
                       same_id_cam=options.get('ignore_same_id_same_cam', False),
                       max_rank=options.get('max_rank', 20))
    cmc, mAP, mINP = loop_reference(distmat, q_ids, g_ids, q_cams, g_cams, **ref_options)
    out = rank_metrics(distmat, q_ids, g_ids, q_cams, g_cams, **options)
    np.testing.assert_allclose(out['cmc'], cmc, rtol=0, atol=1e-6)
    assert out['mAP'] == pytest.approx(mAP, abs=1e-6)
    assert out['mINP'] == pytest.approx(mINP, abs=1e-6)


# ---------------------------------------------------------------- golden cases
def test_golden_single_query_standard_and_unique():
    # ranking: id 2, id 2, id 3, id 1 (the only match, raw rank 4)
    dist = np.array([[0.1, 0.2, 0.3, 0.4]])
    out = rank_metrics(dist, [1], [2, 2, 3, 1], ignore_cam_pairs=(), cmc_mode='standard', max_rank=5)
    np.testing.assert_allclose(out['cmc'], [0, 0, 0, 1, 1])
    assert out['mAP'] == pytest.approx(1 / 4)
    assert out['mINP'] == pytest.approx(1 / 4)
    # deduplicated ranking: 2, 3, 1 -> first match at rank 3; mAP/mINP stay on the raw ranking
    out = rank_metrics(dist, [1], [2, 2, 3, 1], ignore_cam_pairs=(), cmc_mode='unique', max_rank=5)
    np.testing.assert_allclose(out['cmc'], [0, 0, 1, 1, 1])
    assert out['mAP'] == pytest.approx(1 / 4)
    assert out['mINP'] == pytest.approx(1 / 4)


def test_golden_map_and_minp_with_several_matches():
    # ranking: 2, 1*, 2, 3, 1*  -> precisions 1/2 and 2/5; hardest match at rank 5
    dist = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    out = rank_metrics(dist, [1], [2, 1, 2, 3, 1], ignore_cam_pairs=(), cmc_mode='standard',
                       max_rank=3)
    np.testing.assert_allclose(out['cmc'], [0, 1, 1])
    assert out['mAP'] == pytest.approx((1 / 2 + 2 / 5) / 2)
    assert out['mINP'] == pytest.approx(2 / 5)


def test_golden_camera_exclusion():
    dist = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]])
    g_ids, g_cams = [2, 1, 1], [2, 1, 2]
    # a cam-3 query ignores both cam-2 items: its single kept item is the match
    out = rank_metrics(dist[:1], [1], g_ids, [3], g_cams, max_rank=2)
    np.testing.assert_allclose(out['cmc'], [1, 1])
    assert out['mAP'] == pytest.approx(1.0)
    assert out['mINP'] == pytest.approx(1.0)
    # a cam-6 query keeps everything: matches at ranks 2 and 3
    out = rank_metrics(dist[1:], [1], g_ids, [6], g_cams, max_rank=2)
    np.testing.assert_allclose(out['cmc'], [0, 1])
    assert out['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert out['mINP'] == pytest.approx(2 / 3)
    # both together: the mean over the two queries
    out = rank_metrics(dist, [1, 1], g_ids, [3, 6], g_cams, max_rank=2)
    np.testing.assert_allclose(out['cmc'], [0.5, 1])
    assert out['mAP'] == pytest.approx((1 + (1 / 2 + 2 / 3) / 2) / 2)


def test_golden_same_identity_same_camera_is_ignored():
    # LLCM rule: the same-id cam-3 item is ignored, the other-id cam-3 item is kept
    dist = np.array([[0.1, 0.2, 0.3]])
    out = rank_metrics(dist, [1], [1, 2, 1], [3], [3, 3, 1], ignore_cam_pairs=(),
                       ignore_same_id_same_cam=True, max_rank=2)
    np.testing.assert_allclose(out['cmc'], [0, 1])
    assert out['mAP'] == pytest.approx(1 / 2)
    assert out['mINP'] == pytest.approx(1 / 2)


def test_golden_query_without_match_is_skipped():
    dist = np.array([[0.2, 0.1], [0.1, 0.2]])
    out = rank_metrics(dist, [1, 9], [1, 2], ignore_cam_pairs=(), max_rank=2)
    np.testing.assert_allclose(out['cmc'], [0, 1])
    assert out['mAP'] == pytest.approx(1 / 2)
    # a query whose only match is ignored by the camera rule has no match either
    out = rank_metrics(dist, [2, 1], [1, 2], [3, 6], [1, 2], max_rank=2)
    np.testing.assert_allclose(out['cmc'], [1, 1])
    assert out['mAP'] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='no query has a true match'):
        rank_metrics(dist, [8, 9], [1, 2], ignore_cam_pairs=())


def test_ties_are_broken_by_gallery_index():
    dist = np.array([[0.5, 0.5, 0.5]])
    out = rank_metrics(dist, [1], [2, 1, 1], ignore_cam_pairs=(), cmc_mode='standard', max_rank=2)
    np.testing.assert_allclose(out['cmc'], [0, 1])
    assert out['mAP'] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert out['mINP'] == pytest.approx(2 / 3)


def test_cmc_is_padded_beyond_the_gallery():
    out = rank_metrics(np.array([[0.3, 0.1]]), [1], [1, 2], ignore_cam_pairs=(), max_rank=4)
    np.testing.assert_allclose(out['cmc'], [0, 1, 1, 1])
    assert out['cmc'].shape == (4, )


# ------------------------------------------------------- agreement with the loop
@pytest.mark.parametrize('dtype', [np.float64, np.float32])
@pytest.mark.parametrize('options', [
    dict(),
    dict(cmc_mode='standard', ignore_cam_pairs=()),
    dict(ignore_cam_pairs=((3, 2), (6, 1)), max_rank=7),
    dict(ignore_cam_pairs=(), ignore_same_id_same_cam=True),
])
def test_agrees_with_loop_reference_on_random_data(monkeypatch, dtype, options):
    rng = np.random.default_rng(0)
    # small chunks, so that several query chunks are evaluated
    monkeypatch.setattr(rank_metrics_module, '_CHUNK_ELEMENTS', 500)
    for _ in range(5):
        num_q, num_g, num_ids = 57, 83, 9
        q_ids, g_ids = rng.integers(0, num_ids, num_q), rng.integers(0, num_ids + 2, num_g)
        q_cams, g_cams = rng.choice([3, 6], num_q), rng.choice([1, 2, 4, 5, 3], num_g)
        dist = rng.random((num_q, num_g)).astype(dtype)  # continuous: ties avoided
        check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, **options)


def test_agrees_with_loop_reference_on_tied_distances():
    rng = np.random.default_rng(1)
    for _ in range(5):
        dist = np.round(rng.random((40, 60)), 1)  # ten distinct values: many exact ties
        q_ids, g_ids = rng.integers(0, 6, 40), rng.integers(0, 6, 60)
        q_cams, g_cams = rng.choice([3, 6], 40), rng.choice([1, 2, 3], 60)
        check_against_loop(dist, q_ids, g_ids, q_cams, g_cams)
        check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, cmc_mode='standard')
        check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, ignore_cam_pairs=(),
                           ignore_same_id_same_cam=True)


@pytest.mark.parametrize('layout', ['interleaved', 'grouped', 'grouped_descending'])
def test_agrees_with_loop_reference_on_float32_rounding_ties(monkeypatch, layout):
    # 1 - cos in float32 near 1: values on a 2**-20 grid, so many exact ties, as at the real scale
    rng = np.random.default_rng(3)
    monkeypatch.setattr(rank_metrics_module, '_CHUNK_ELEMENTS', 700)
    num_q, num_g = 50, 90
    g_ids = rng.integers(0, 8, num_g)
    if layout != 'interleaved':
        g_ids = np.sort(g_ids)[::-1 if layout == 'grouped_descending' else 1]
    q_ids, q_cams, g_cams = rng.integers(0, 8, num_q), rng.choice([3, 6], num_q), rng.choice(
        [1, 2, 4, 5], num_g)
    dist = (1 - rng.integers(-40, 40, (num_q, num_g)) * 2.0**-20).astype(np.float32)
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams)
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, cmc_mode='standard', max_rank=30)
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, ignore_cam_pairs=(),
                       ignore_same_id_same_cam=True)


def test_exact_when_values_span_many_orders_of_magnitude():
    # exact for any finite values: tiny, huge, signed zeros
    rng = np.random.default_rng(4)
    num_q, num_g = 30, 70
    scale = 10.0**rng.integers(-30, 15, (num_q, num_g))
    dist = rng.random((num_q, num_g)) * scale * rng.choice([-1, 1], (num_q, num_g))
    dist[:, :5] = rng.choice([0.0, -0.0, 1e-300, -1e-300], (num_q, 5))
    q_ids, g_ids = rng.integers(0, 5, num_q), rng.integers(0, 5, num_g)
    q_cams, g_cams = rng.choice([3, 6], num_q), rng.choice([1, 2, 3], num_g)
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams)
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, cmc_mode='standard')
    # near the float64 limits, with the same-identity-same-camera items at +inf
    dist[:, 5:8] = rng.choice([-1.5e308, 1.5e308], (num_q, 3))
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams, ignore_cam_pairs=(),
                       ignore_same_id_same_cam=True)


@pytest.mark.parametrize('layout', ['fortran', 'column_gather', 'strided_view'])
def test_memory_layout_of_the_distances_does_not_matter(layout):
    # the metrics pass pool_dist[:, columns], which numpy returns in Fortran order
    rng = np.random.default_rng(6)
    pool = rng.random((45, 130)).astype(np.float32)
    columns = np.sort(rng.choice(130, 65, replace=False))
    dist = {'fortran': np.asfortranarray(pool[:, columns]), 'column_gather': pool[:, columns],
            'strided_view': pool[:, ::2]}[layout]
    q_ids, g_ids = rng.integers(0, 6, 45), rng.integers(0, 6, dist.shape[1])
    q_cams, g_cams = rng.choice([3, 6], 45), rng.choice([1, 2, 4], dist.shape[1])
    check_against_loop(dist, q_ids, g_ids, q_cams, g_cams)


def brute_segments(block, values, cols, num):
    """``#{j < num: (values[j], cols[j]) < (block[p], p)}`` by comparing every pair."""
    width = cols.shape[1]
    d, v = block[:, None, :], values[:, :width, None]
    smaller = (v < d) | ((v == d) & (cols[:, :, None] < np.arange(block.shape[1])))
    return (smaller & (np.arange(width) < num[:, None])[:, :, None]).sum(axis=1)


@pytest.mark.parametrize('values_kind', ['continuous', 'ties', 'magnitudes'])
def test_segments_count_the_smaller_keys_of_every_row(values_kind):
    rng = np.random.default_rng(len(values_kind))
    n, num_g, width = 40, 90, 12
    if values_kind == 'continuous':
        block = rng.random((n, num_g)).astype(np.float32)
    elif values_kind == 'ties':  # a few distinct values: entries equal to thresholds everywhere
        block = rng.integers(0, 6, (n, num_g)).astype(np.float32)
    else:
        block = rng.random((n, num_g)) * 10.0**rng.integers(-300, 300, (n, num_g))
        block *= rng.choice([-1, 1], (n, num_g))
        block[:, :4] = rng.choice([0.0, -0.0, 1.7e308, -1.7e308], (n, 4))
    # the matches: some rows without any, some with one, the others with up to width
    num = rng.integers(0, width + 1, n)
    num[:3] = [0, 1, width]
    cols = np.stack([rng.choice(num_g, width, replace=False) for _ in range(n)])
    matched = np.where(np.arange(width) < num[:, None], np.take_along_axis(block, cols, 1), np.inf)
    order = np.lexsort((np.where(np.isinf(matched), num_g, cols), matched), axis=1)
    values = np.full((n, width + 1), np.inf, dtype=block.dtype)
    values[:, :-1] = np.take_along_axis(matched, order, 1)
    cols = np.take_along_axis(cols, order, 1)
    seg = rank_metrics_module._segments(block, values, cols, num, np.dtype(np.uint8),
                                        rank_metrics_module._Workspace())
    np.testing.assert_array_equal(seg, brute_segments(block, values, cols, num))
    # a match's segment is its slot
    rows, slots = np.nonzero(np.arange(width) < num[:, None])
    np.testing.assert_array_equal(seg[rows, cols[rows, slots]], slots)


@pytest.mark.parametrize('rows', [3, 400])  # 16-bit bins, and 32-bit ones beyond 2**15
def test_row_histograms_count_every_value_of_every_row(rows):
    rng = np.random.default_rng(rows)
    seg = rng.integers(0, 120, (rows, 50)).astype(np.uint8)
    counts = rank_metrics_module._row_histograms(seg, 120, rank_metrics_module._Workspace())
    np.testing.assert_array_equal(counts, [np.bincount(row, minlength=120) for row in seg])


@pytest.mark.parametrize('layout', ['short_runs', 'grouped', 'interleaved', 'one_big_identity'])
def test_per_identity_minimum_of_every_gallery_layout(layout):
    rng = np.random.default_rng(9)
    g_ids = {'short_runs': np.repeat(np.arange(30), rng.integers(1, 4, 30)),
             'grouped': np.repeat(np.arange(5), 20),
             'interleaved': rng.integers(0, 6, 80),
             # short runs, but layers would repeat the big identity's items for the others
             'one_big_identity': np.insert(np.zeros(60, int), np.arange(4, 60, 8), np.arange(1, 8))
             }[layout]
    gallery = rank_metrics_module._GalleryByIdentity(g_ids)
    values = rng.integers(0, 200, (7, len(g_ids))).astype(np.uint8)
    expected = np.stack([values[:, g_ids == i].min(axis=1) for i in gallery.ids], axis=1)
    np.testing.assert_array_equal(gallery.reduce(np.minimum, values), expected)
    assert (gallery.layers is not None) == (layout in ('short_runs', 'interleaved'))


@pytest.mark.parametrize('threads', [1, 3])
def test_result_does_not_depend_on_threads_or_chunks(monkeypatch, threads):
    rng = np.random.default_rng(5)
    dist = rng.random((41, 37)).astype(np.float32)
    args = (dist, rng.integers(0, 6, 41), rng.integers(0, 6, 37), rng.choice([3, 6], 41),
            rng.choice([1, 2], 37))
    expected = rank_metrics(*args)
    monkeypatch.setattr(rank_metrics_module, '_CHUNK_ELEMENTS', 100)
    monkeypatch.setattr(rank_metrics_module.torch, 'get_num_threads', lambda: threads)
    out = rank_metrics(*args)
    np.testing.assert_allclose(out['cmc'], expected['cmc'], rtol=0, atol=1e-12)
    assert out['mAP'] == pytest.approx(expected['mAP'], abs=1e-12)
    assert out['mINP'] == pytest.approx(expected['mINP'], abs=1e-12)


def test_queries_whose_whole_gallery_is_ignored_are_skipped():
    dist = np.array([[0.1, 0.2], [0.2, 0.1]])
    # the cam-3 query sees only cam-2 items: skipped; the cam-6 query finds its match second
    out = rank_metrics(dist, [1, 1], [2, 1], [3, 6], [2, 2], max_rank=2)
    np.testing.assert_allclose(out['cmc'], [1, 1])
    assert out['mAP'] == pytest.approx(1.0)
    out = rank_metrics(dist, [1, 1], [2, 1], [3, 6], [2, 2], cmc_mode='standard', max_rank=2)
    np.testing.assert_allclose(out['cmc'], [1, 1])


@pytest.mark.parametrize('dtype', [np.int64, np.float16])
def test_other_dtypes_rank_as_float64(dtype):
    dist = np.array([[3, 1, 2], [1, 2, 3]])
    out = rank_metrics(dist.astype(dtype), [1, 2], [2, 1, 2], ignore_cam_pairs=())
    expected = rank_metrics(dist.astype(np.float64), [1, 2], [2, 1, 2], ignore_cam_pairs=())
    np.testing.assert_allclose(out['cmc'], expected['cmc'])
    assert out['mAP'] == expected['mAP']


def test_accepts_tensors():
    rng = np.random.default_rng(2)
    dist = rng.random((6, 8))
    ids_q, ids_g = rng.integers(0, 3, 6), rng.integers(0, 3, 8)
    expected = rank_metrics(dist, ids_q, ids_g, ignore_cam_pairs=())
    out = rank_metrics(torch.from_numpy(dist), torch.from_numpy(ids_q), torch.from_numpy(ids_g),
                       ignore_cam_pairs=())
    np.testing.assert_allclose(out['cmc'], expected['cmc'])
    assert out['mAP'] == expected['mAP']


# ------------------------------------------------------------- pool subsets
def assert_same_result(out, expected, atol=1e-12):
    np.testing.assert_allclose(out['cmc'], expected['cmc'], rtol=0, atol=atol)
    assert out['mAP'] == pytest.approx(expected['mAP'], abs=atol)
    assert out['mINP'] == pytest.approx(expected['mINP'], abs=atol)


def random_subsets(rng, num_g, match):
    """Unsorted, sorted, every column (in order and shuffled), tiny ones with column ``match``."""
    other = rng.choice(np.delete(np.arange(num_g), match))
    return [rng.permutation(num_g)[:num_g // 2],
            np.sort(rng.choice(num_g, num_g // 3, replace=False)), np.arange(num_g),
            rng.permutation(num_g), np.array([other, match]), np.array([match])]


@pytest.mark.parametrize('options', [
    dict(),
    dict(cmc_mode='standard', ignore_cam_pairs=()),
    dict(cmc_mode='standard', ignore_cam_pairs=((3, 2), (6, 1)), max_rank=7),
    dict(ignore_cam_pairs=((3, 2), (6, 1)), max_rank=7),
    dict(ignore_cam_pairs=(), ignore_same_id_same_cam=True),
    dict(cmc_mode='standard', ignore_same_id_same_cam=True),
])
@pytest.mark.parametrize('threads', [1, 3])
def test_subsets_equal_rank_metrics_on_their_columns(monkeypatch, options, threads):
    # ties everywhere (ten distinct values), camera rules, grouped and interleaved identities
    rng = np.random.default_rng(7)
    monkeypatch.setattr(rank_metrics_module, '_CHUNK_ELEMENTS', 400)
    monkeypatch.setattr(rank_metrics_module.torch, 'get_num_threads', lambda: threads)
    for trial in range(4):
        num_q, num_g = 47, 71
        q_ids, g_ids = rng.integers(0, 7, num_q), rng.integers(0, 9, num_g)
        if trial % 2:
            g_ids = np.sort(g_ids)
        q_cams, g_cams = rng.choice([3, 6], num_q), rng.choice([1, 2, 3, 4], num_g)
        match = np.flatnonzero(np.isin(g_ids, q_ids))[0]
        g_cams[match] = 4  # no rule ignores it: the one-column subset has a match
        dist = np.round(rng.random((num_q, num_g)), 1).astype([np.float32, np.float64][trial % 2])
        subsets = random_subsets(rng, num_g, match)
        # a subset without identity 0: its queries have no match there and are skipped
        subsets.append(np.flatnonzero(g_ids != 0))
        outs = rank_metrics_subsets(dist, q_ids, g_ids, q_cams, g_cams, subsets=subsets, **options)
        assert len(outs) == len(subsets)
        for out, subset in zip(outs, subsets):
            cols = np.sort(subset)  # ties are broken by the pool column
            expected = rank_metrics(dist[:, cols], q_ids, g_ids[cols], q_cams, g_cams[cols],
                                    **options)
            assert_same_result(out, expected)
            check_against_loop(dist[:, cols], q_ids, g_ids[cols], q_cams, g_cams[cols], **options)


def test_identity_with_more_items_than_8_bit_segments_hold():
    # 400 items of identity 0: segments and bins beyond 8 bits
    rng = np.random.default_rng(10)
    g_ids = np.r_[np.zeros(400, int), rng.integers(1, 5, 300)]
    dist, q_ids = rng.random((30, len(g_ids))), rng.integers(0, 3, 30)
    subset = rng.permutation(len(g_ids))[:300]
    out, = rank_metrics_subsets(dist, q_ids, g_ids, subsets=[subset], ignore_cam_pairs=())
    cols = np.sort(subset)
    assert_same_result(out, rank_metrics(dist[:, cols], q_ids, g_ids[cols], ignore_cam_pairs=()))
    check_against_loop(dist[:, cols], q_ids, g_ids[cols], None, None, ignore_cam_pairs=())
    check_against_loop(dist, q_ids, g_ids, None, None, ignore_cam_pairs=(), cmc_mode='standard')


def test_subsets_accept_tensors_and_lists():
    rng = np.random.default_rng(8)
    dist = rng.random((9, 12))
    q_ids, g_ids = rng.integers(0, 3, 9), rng.integers(0, 3, 12)
    subsets = [[0, 4, 2, 7], np.arange(12)]
    expected = rank_metrics_subsets(dist, q_ids, g_ids, subsets=subsets, ignore_cam_pairs=())
    out = rank_metrics_subsets(torch.from_numpy(dist), torch.from_numpy(q_ids),
                               torch.from_numpy(g_ids), ignore_cam_pairs=(),
                               subsets=[torch.tensor(s) for s in subsets])
    for a, b in zip(out, expected):
        assert_same_result(a, b, atol=0)


def test_golden_subset_ties_are_broken_by_the_pool_column():
    # pool: column 0 id 2 at 0.5, column 1 id 1 (the match) at 0.5, column 2 id 3 at 0.1
    dist = np.array([[0.5, 0.5, 0.1]])
    q_ids, g_ids = [1], [2, 1, 3]
    # the subset lists column 1 first, yet column 0 wins the tie: ranking id 2, id 1
    out, = rank_metrics_subsets(dist, q_ids, g_ids, subsets=[[1, 0]], ignore_cam_pairs=(),
                                max_rank=3)
    np.testing.assert_allclose(out['cmc'], [0, 1, 1])
    assert out['mAP'] == pytest.approx(1 / 2)
    assert out['mINP'] == pytest.approx(1 / 2)
    # all three: id 3, id 2, id 1
    out, = rank_metrics_subsets(dist, q_ids, g_ids, subsets=[[1, 2, 0]], ignore_cam_pairs=(),
                                max_rank=3)
    np.testing.assert_allclose(out['cmc'], [0, 0, 1])
    assert out['mAP'] == pytest.approx(1 / 3)
    # rank_metrics on the columns in the subset's order breaks the tie the other way
    out = rank_metrics(dist[:, [1, 0]], q_ids, [1, 2], ignore_cam_pairs=(), max_rank=3)
    assert out['mAP'] == pytest.approx(1.0)


@pytest.mark.parametrize('subsets, message', [
    ([[0, 1], [2, 3]], r'subsets\[1\] holds column 3 outside the pool of 3 columns'),
    ([[0, -1]], r'subsets\[0\] holds column -1 outside the pool'),
    ([[0, 1], []], r'subsets\[1\] must be a non-empty 1-D array'),
    ([[[0, 1]]], r'subsets\[0\] must be a non-empty 1-D array'),
    ([[0, 2, 0]], r'subsets\[0\] holds column 0 more than once'),
    ([[0.0, 1.0]], r'subsets\[0\] must hold integer column indices'),
    ([], 'subsets is empty'),
    (np.array([0, 1]), 'wrap a single subset in a list'),
])
def test_bad_subsets_name_the_subset(subsets, message):
    with pytest.raises(ValueError, match=message):
        rank_metrics_subsets(np.zeros((2, 3)), [1, 2], [1, 2, 3], subsets=subsets,
                             ignore_cam_pairs=())


def test_subset_without_any_match_names_the_subset():
    dist = np.array([[0.2, 0.1, 0.3]])
    with pytest.raises(ValueError, match=r'no query has a true match in subsets\[1\]'):
        rank_metrics_subsets(dist, [1], [1, 2, 3], subsets=[[0, 1], [1, 2]], ignore_cam_pairs=())


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize('kwargs, message', [
    (dict(query_ids=[1, 2, 3]), 'query_ids has 3 entries but distmat has 2 rows'),
    (dict(gallery_ids=[1]), 'gallery_ids has 1 entries but distmat has 3 columns'),
    (dict(cmc_mode='first'), 'cmc_mode must be one of'),
    (dict(max_rank=0), 'max_rank must be a positive int'),
    (dict(ignore_cam_pairs=((3, 2), )), 'need query_cams and gallery_cams'),
    (dict(query_cams=[3, 6]), 'query_cams and gallery_cams must be given together'),
    (dict(ignore_cam_pairs=((3, ), )), 'ignore_cam_pairs must hold'),
    (dict(distmat=np.zeros(3)), 'distmat must be a non-empty 2-D'),
    (dict(distmat=np.full((2, 3), np.nan)), 'distmat holds NaN'),
])
def test_bad_input_names_the_argument(kwargs, message):
    args = dict(distmat=np.zeros((2, 3)), query_ids=[1, 2], gallery_ids=[1, 2, 3],
                ignore_cam_pairs=())
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        rank_metrics(**args)
