"""CMC, mAP and mINP of a query-gallery distance matrix, vectorised.

The semantics are those of the community's cross-modality reference code
(AGW / HcTri ``eval_metrics.py``: ``eval_sysu``, ``eval_regdb`` and DEEN's
``eval_llcm``), so numbers stay comparable with published ones:

* each query ranks the gallery by ascending distance; ties are broken by the
  gallery index, as a stable sort would (the reference's ``np.argsort`` is not
  stable, so on exact ties the reference itself is not deterministic);
* gallery items are *ignored* (removed from the ranking) for a query from
  camera ``a`` when they come from camera ``b``, for every ``(a, b)`` in
  ``ignore_cam_pairs`` (SYSU-MM01: a cam-3 query ignores cam 2), and, when
  ``ignore_same_id_same_cam``, when they share the query's identity *and*
  camera (LLCM, DEEN code);
* the CMC is computed on the ranking with every identity kept only at its
  first occurrence (``cmc_mode='unique'``, the SYSU-MM01 / LLCM reference) or
  on the raw ranking (``'standard'``, RegDB); mAP and mINP always use the raw
  ranking; mINP follows Ye et al. (TPAMI 2021): #positives / rank of the
  hardest positive;
* queries without any (non-ignored) true match are skipped.

Only the ranks of the true matches are needed: every row is sorted by value
(no index bookkeeping) and each match's distance is located in its sorted
row by a batched binary search, which gives its rank; the deduplicated CMC
rank counts the identities whose nearest item comes before the first match.
Rows where a distance equals a match's distance exactly are recounted with
an explicit index tie-break. The work is chunked over queries to bound the
memory.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence]

CMC_MODES = ('unique', 'standard')
_CHUNK_ELEMENTS = 1 << 22
"""Distance entries handled at once (about 32 MiB per float64 working array)."""


def _as_numpy(value, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f'{name} must be array-like, got {type(value).__name__}') from err


def _as_labels(value, name: str, length: int) -> np.ndarray:
    array = _as_numpy(value, name)
    if array.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {array.shape}')
    if array.shape[0] != length:
        raise ValueError(f'{name} has {array.shape[0]} entries but distmat has {length} '
                         f'{"rows" if name.startswith("query") else "columns"}')
    return array


def _check_inputs(distmat, query_ids, gallery_ids, query_cams, gallery_cams, max_rank,
                  ignore_cam_pairs, cmc_mode, ignore_same_id_same_cam):
    distmat = _as_numpy(distmat, 'distmat')
    if distmat.ndim != 2 or 0 in distmat.shape:
        raise ValueError(f'distmat must be a non-empty 2-D (queries x gallery) array, '
                         f'got shape {distmat.shape}')
    if not np.issubdtype(distmat.dtype, np.floating):
        distmat = distmat.astype(np.float64)
    if not np.isfinite(distmat).all():
        raise ValueError('distmat holds NaN or infinite values')
    num_q, num_g = distmat.shape
    query_ids = _as_labels(query_ids, 'query_ids', num_q)
    gallery_ids = _as_labels(gallery_ids, 'gallery_ids', num_g)
    if (query_cams is None) != (gallery_cams is None):
        raise ValueError('query_cams and gallery_cams must be given together')
    if query_cams is not None:
        query_cams = _as_labels(query_cams, 'query_cams', num_q)
        gallery_cams = _as_labels(gallery_cams, 'gallery_cams', num_g)
    if isinstance(max_rank, bool) or not isinstance(max_rank, (int, np.integer)) or max_rank < 1:
        raise ValueError(f'max_rank must be a positive int, got {max_rank!r}')
    if cmc_mode not in CMC_MODES:
        raise ValueError(f'cmc_mode must be one of {CMC_MODES}, got {cmc_mode!r}')
    pairs = tuple(tuple(pair) for pair in ignore_cam_pairs)
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f'ignore_cam_pairs must hold (query camera, gallery camera) pairs, '
                         f'got {ignore_cam_pairs!r}')
    if query_cams is None and (pairs or ignore_same_id_same_cam):
        raise ValueError(
            f'ignore_cam_pairs={ignore_cam_pairs!r} / ignore_same_id_same_cam='
            f'{ignore_same_id_same_cam} need query_cams and gallery_cams; pass '
            'ignore_cam_pairs=() to rank without camera rules')
    return distmat, query_ids, gallery_ids, query_cams, gallery_cams, int(max_rank), pairs


class _GalleryByIdentity:
    """The gallery columns regrouped so that every identity is contiguous.

    The regrouping is stable, so inside an identity the columns keep their
    original (tie-breaking) order.
    """

    def __init__(self, gallery_ids: np.ndarray, gallery_cams: Optional[np.ndarray]):
        self.ids, inverse = np.unique(gallery_ids, return_inverse=True)
        self.order = np.argsort(inverse, kind='stable')
        self.count = np.bincount(inverse, minlength=len(self.ids))
        self.start = np.concatenate(([0], np.cumsum(self.count)[:-1]))
        self.cams = None if gallery_cams is None else gallery_cams[self.order]

    def index_of(self, query_ids: np.ndarray) -> np.ndarray:
        """Identity index of every query id in the gallery, -1 when absent."""
        pos = np.searchsorted(self.ids, query_ids).clip(max=len(self.ids) - 1)
        return np.where(self.ids[pos] == query_ids, pos, -1)


def _counted_ranks(dist: np.ndarray, thresholds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per row, how many entries of ``dist`` are <= / < each threshold.

    The rows are sorted by value only (no index bookkeeping), then every
    threshold is located in its sorted row by a batched binary search.

    Returns:
        tuple: ``(le, lt)`` with ``le[i, j] = #{g: dist[i, g] <= thresholds[i, j]}``
        and ``lt`` the same with ``<``.
    """
    rows = torch.from_numpy(np.sort(dist, axis=1))
    thr = torch.from_numpy(np.ascontiguousarray(thresholds))
    le = torch.searchsorted(rows, thr, right=True).numpy()
    lt = torch.searchsorted(rows, thr, right=False).numpy()
    return le, lt


def _exact_ranks(dist: np.ndarray, thresholds: np.ndarray, thr_cols: np.ndarray,
                 col_rank: np.ndarray) -> np.ndarray:
    """Stable ranks of the matches by explicit comparison (rows with exact ties).

    ``col_rank`` gives each column's tie-break order (its original gallery index).
    """
    ranks = np.empty(thresholds.shape, dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // max(1, dist.shape[1] * thresholds.shape[1]))
    for s in range(0, dist.shape[0], step):
        d = dist[s:s + step, None, :]
        t = thresholds[s:s + step, :, None]
        earlier = col_rank[None, None, :] <= col_rank[thr_cols[s:s + step]][:, :, None]
        ranks[s:s + step] = ((d < t) | ((d == t) & earlier)).sum(axis=2)
    return ranks


def _evaluate_chunk(dist, q_ids_idx, q_cams, gallery, pairs, ignore_same_id_same_cam,
                    cmc_mode):
    """Ranks of the matches and of the first match for one chunk of queries.

    Returns:
        tuple: ``(num_pos, match_ranks, first_rank)``: the number of kept true
        matches, their 1-based ranks in the kept raw ranking (ascending,
        ``num_rows x max_matches``, padded) and the CMC rank of the first
        match (in the identity-deduplicated ranking when ``cmc_mode='unique'``).
    """
    num_rows = dist.shape[0]
    rows = np.arange(num_rows)
    for cam_q, cam_g in pairs:
        hit_rows = np.flatnonzero(q_cams == cam_q)
        hit_cols = np.flatnonzero(gallery.cams == cam_g)
        if hit_rows.size and hit_cols.size:
            dist[np.ix_(hit_rows, hit_cols)] = np.inf

    max_pos = int(gallery.count.max())
    slots = np.arange(max_pos)
    has_id = q_ids_idx >= 0
    count = np.where(has_id, gallery.count[q_ids_idx], 0)
    in_id = slots[None, :] < count[:, None]
    cols = np.where(in_id, gallery.start[q_ids_idx][:, None] + slots[None, :], 0)
    thresholds = np.where(in_id, dist[rows[:, None], cols], np.inf)
    if ignore_same_id_same_cam:
        same_cam = in_id & (gallery.cams[cols] == q_cams[:, None])
        dist[rows[:, None].repeat(max_pos, 1)[same_cam], cols[same_cam]] = np.inf
        thresholds[same_cam] = np.inf

    sort = np.argsort(thresholds, axis=1, kind='stable')
    thresholds = np.take_along_axis(thresholds, sort, axis=1)
    cols = np.take_along_axis(cols, sort, axis=1)
    num_pos = np.isfinite(thresholds).sum(axis=1)

    match_ranks, below = _counted_ranks(dist, thresholds)
    # without exact ties every match equals only itself: le - lt == 1
    tied = ((match_ranks - below != 1) & np.isfinite(thresholds)).any(axis=1)
    tied_rows = np.flatnonzero(tied)
    col_rank = gallery.order  # original gallery index of every regrouped column
    if tied_rows.size:
        match_ranks[tied_rows] = _exact_ranks(dist[tied_rows], thresholds[tied_rows],
                                              cols[tied_rows], col_rank)

    if cmc_mode == 'standard':
        return num_pos, match_ranks, match_ranks[:, 0]

    # deduplicated ranking: one more rank per identity met before the first match
    first = thresholds[:, :1]
    id_min = np.minimum.reduceat(dist, gallery.start, axis=1)
    first_rank = (id_min < first).sum(axis=1) + 1
    if tied_rows.size:
        d = dist[tied_rows]
        t = first[tied_rows]
        earlier = col_rank[None, :] < col_rank[cols[tied_rows, :1]]
        before = (d < t) | ((d == t) & earlier)
        first_rank[tied_rows] = np.logical_or.reduceat(before, gallery.start, axis=1).sum(1) + 1
    return num_pos, match_ranks, first_rank


def rank_metrics(distmat: ArrayLike,
                 query_ids: ArrayLike,
                 gallery_ids: ArrayLike,
                 query_cams: Optional[ArrayLike] = None,
                 gallery_cams: Optional[ArrayLike] = None,
                 *,
                 max_rank: int = 20,
                 ignore_cam_pairs: Sequence[Tuple[int, int]] = ((3, 2), ),
                 cmc_mode: str = 'unique',
                 ignore_same_id_same_cam: bool = False) -> Dict[str, Union[np.ndarray, float]]:
    """CMC, mAP and mINP of a distance matrix, with the reference code's semantics.

    Args:
        distmat (array-like): ``Q x G`` distances (smaller = more similar).
        query_ids (array-like): ``Q`` identity labels of the queries.
        gallery_ids (array-like): ``G`` identity labels of the gallery.
        query_cams (array-like, optional): ``Q`` camera labels; needed by any
            camera rule.
        gallery_cams (array-like, optional): ``G`` camera labels.
        max_rank (int): Length of the returned CMC curve. Beyond the length of
            a query's ranking its curve stays at 1 (the reference instead
            truncates to the gallery size).
        ignore_cam_pairs (Sequence[tuple[int, int]]): ``(a, b)``: for a query
            from camera ``a``, gallery items from camera ``b`` are ignored.
            The SYSU-MM01 default ignores cam 2 for cam-3 queries; pass ``()``
            for none.
        cmc_mode (str): ``'unique'`` (CMC on the ranking deduplicated by
            identity, SYSU-MM01 / LLCM reference) or ``'standard'`` (raw
            ranking, RegDB reference).
        ignore_same_id_same_cam (bool): Also ignore gallery items sharing the
            query's identity and camera (LLCM protocol of the DEEN code).

    Returns:
        dict: ``cmc`` (float array of length ``max_rank``, fractions in
        [0, 1]), ``mAP`` and ``mINP`` (floats in [0, 1]), each averaged over
        the queries that have at least one true match.

    Raises:
        ValueError: On inconsistent shapes, a bad option, or when no query has
            a true match in the gallery.
    """
    (distmat, query_ids, gallery_ids, query_cams, gallery_cams, max_rank,
     pairs) = _check_inputs(distmat, query_ids, gallery_ids, query_cams, gallery_cams, max_rank,
                            ignore_cam_pairs, cmc_mode, ignore_same_id_same_cam)
    gallery = _GalleryByIdentity(gallery_ids, gallery_cams)
    q_ids_idx = gallery.index_of(query_ids)

    num_q, num_g = distmat.shape
    step = max(1, _CHUNK_ELEMENTS // num_g)
    ap_sum = inp_sum = 0.0
    num_valid = 0
    cmc_hist = np.zeros(max_rank + 1, dtype=np.int64)
    for start in range(0, num_q, step):
        stop = min(start + step, num_q)
        dist = np.ascontiguousarray(np.take(distmat[start:stop], gallery.order, axis=1))  # edited in place
        cams = None if query_cams is None else query_cams[start:stop]
        num_pos, match_ranks, first_rank = _evaluate_chunk(
            dist, q_ids_idx[start:stop], cams, gallery, pairs, ignore_same_id_same_cam,
            cmc_mode)
        valid = num_pos > 0
        if not valid.any():
            continue
        num_pos, match_ranks, first_rank = num_pos[valid], match_ranks[valid], first_rank[valid]
        is_match = np.arange(match_ranks.shape[1])[None, :] < num_pos[:, None]
        precision = np.arange(1, match_ranks.shape[1] + 1) / np.maximum(match_ranks, 1)
        ap_sum += float(((precision * is_match).sum(axis=1) / num_pos).sum())
        hardest = match_ranks[np.arange(len(num_pos)), num_pos - 1]
        inp_sum += float((num_pos / hardest).sum())
        cmc_hist += np.bincount(np.minimum(first_rank, max_rank + 1) - 1, minlength=max_rank + 1)
        num_valid += int(valid.sum())
    if num_valid == 0:
        raise ValueError('no query has a true match in the gallery (after the camera rules): '
                         'check that query and gallery identities overlap')
    cmc = np.cumsum(cmc_hist[:max_rank]) / num_valid
    return dict(cmc=cmc, mAP=ap_sum / num_valid, mINP=inp_sum / num_valid)
