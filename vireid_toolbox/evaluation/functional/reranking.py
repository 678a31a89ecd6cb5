"""k-reciprocal re-ranking (Zhong et al., CVPR 2017), as the community code computes it.

The steps follow the widely used Python port of the authors' code
(``re_ranking(probFea, galFea, k1, k2, lambda_value)``):

1. ``d``: squared Euclidean distances between all query and gallery
   features, every row divided by its maximum;
2. the k-reciprocal neighbours ``R(i, k1)`` of every image (``j`` is among the
   ``k1 + 1`` nearest of ``i`` and ``i`` among those of ``j``), expanded by the
   ``R(c, round(k1 / 2))`` of each member ``c`` that shares more than 2/3 of
   its own set with ``R(i, k1)``;
3. ``V[i, j] = exp(-d[i, j])`` over the expanded set, normalised to sum 1,
   then averaged over the ``k2`` nearest neighbours (local query expansion);
4. Jaccard distance ``1 - sum(min(V_i, V_j)) / sum(max(V_i, V_j))`` and the
   final ``(1 - lambda) * jaccard + lambda * d``.

Here the loops of the reference are replaced by array and sparse-matrix
operations, the neighbour ranking uses a stable sort, and ``V`` is kept in
float64 (the reference stores it in float16, which only perturbs the result
in the fourth decimal).
"""
from typing import Union

import numpy as np
import torch
from scipy import sparse

Features = Union[np.ndarray, torch.Tensor]

_PAIR_CHUNK = 1 << 23
"""Query-gallery co-occurrences accumulated at once in the Jaccard step."""


def _features(value: Features, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    value = np.asarray(value, dtype=np.float64)
    if value.ndim != 2 or value.shape[0] == 0:
        raise ValueError(f'{name} must be a non-empty 2-D (num x dim) array, got shape {value.shape}')
    return value


def _normalised_sq_distances(feats: np.ndarray) -> np.ndarray:
    sq = (feats**2).sum(axis=1)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * feats @ feats.T, 0.0)
    return dist / np.maximum(dist.max(axis=1, keepdims=True), np.finfo(np.float64).tiny)


def _reciprocal(neighbours: np.ndarray) -> np.ndarray:
    """``mask[i, a]``: ``i`` is among the neighbours of its ``a``-th neighbour."""
    rows = np.arange(len(neighbours))[:, None, None]
    return (neighbours[neighbours] == rows).any(axis=2)


def _expanded_neighbour_mask(initial_rank: np.ndarray, k1: int) -> np.ndarray:
    """Boolean ``N x N`` mask of the expanded k-reciprocal set of every image."""
    num = len(initial_rank)
    rows = np.arange(num)[:, None]
    near = initial_rank[:, :k1 + 1]
    near_recip = _reciprocal(near)
    members = np.zeros((num, num), dtype=bool)
    members[np.broadcast_to(rows, near.shape)[near_recip], near[near_recip]] = True

    half = initial_rank[:, :int(np.around(k1 / 2)) + 1]
    half_recip = _reciprocal(half)
    cand_set = half[near]  # N x (k1+1) x (half+1): R(c, k1/2) of each candidate c
    cand_valid = half_recip[near]
    shared = (members[rows[:, :, None], cand_set] & cand_valid).sum(axis=2)
    accept = near_recip & (shared > 2 / 3 * cand_valid.sum(axis=2))
    take = accept[:, :, None] & cand_valid
    members[np.broadcast_to(rows[:, :, None], take.shape)[take], cand_set[take]] = True
    return members


def _jaccard_overlap(v_query: sparse.csc_matrix, v_gallery: sparse.csc_matrix) -> np.ndarray:
    """``out[i, j] = sum_k min(v_query[i, k], v_gallery[j, k])`` over the shared columns ``k``."""
    num_q, num_g = v_query.shape[0], v_gallery.shape[0]
    q_cols = np.repeat(np.arange(v_query.shape[1]), np.diff(v_query.indptr))
    g_start, g_count = v_gallery.indptr[:-1], np.diff(v_gallery.indptr)
    pairs = g_count[q_cols]  # gallery entries sharing the column of each query entry
    ends = np.cumsum(pairs)
    cuts = np.searchsorted(ends, np.arange(_PAIR_CHUNK, ends[-1] if len(ends) else 0, _PAIR_CHUNK))
    bounds = np.unique(np.concatenate([[0], cuts, [len(q_cols)]]))
    overlap = np.zeros(num_q * num_g)
    for begin, end in zip(bounds[:-1], bounds[1:]):
        counts = pairs[begin:end]
        entry = np.repeat(np.arange(begin, end), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        g_entry = g_start[q_cols[entry]] + within
        overlap += np.bincount(v_query.indices[entry] * num_g + v_gallery.indices[g_entry],
                               weights=np.minimum(v_query.data[entry], v_gallery.data[g_entry]),
                               minlength=num_q * num_g)
    return overlap.reshape(num_q, num_g)


def k_reciprocal_rerank(query_feats: Features,
                        gallery_feats: Features,
                        k1: int = 20,
                        k2: int = 6,
                        lambda_value: float = 0.3) -> np.ndarray:
    """Re-ranked query-gallery distances (k-reciprocal encoding).

    Args:
        query_feats (np.ndarray | Tensor): ``Q x D`` query features.
        gallery_feats (np.ndarray | Tensor): ``G x D`` gallery features.
        k1 (int): Size of the k-reciprocal neighbourhood. Defaults to 20.
        k2 (int): Neighbours averaged by the local query expansion (1 = off).
            Defaults to 6.
        lambda_value (float): Weight of the original distance. Defaults to 0.3.

    Returns:
        np.ndarray: ``Q x G`` float64 distances (smaller = more similar).
    """
    query = _features(query_feats, 'query_feats')
    gallery = _features(gallery_feats, 'gallery_feats')
    if query.shape[1] != gallery.shape[1]:
        raise ValueError(f'query_feats have dim {query.shape[1]} but gallery_feats {gallery.shape[1]}')
    num_q, num = len(query), len(query) + len(gallery)
    if not (isinstance(k1, int) and 1 <= k1 < num):
        raise ValueError(f'k1 must be an int in 1..{num - 1} (query + gallery - 1), got {k1!r}')
    if not (isinstance(k2, int) and 1 <= k2 <= num):
        raise ValueError(f'k2 must be an int in 1..{num}, got {k2!r}')
    if not 0.0 <= lambda_value <= 1.0:
        raise ValueError(f'lambda_value must be in [0, 1], got {lambda_value!r}')

    dist = _normalised_sq_distances(np.concatenate([query, gallery]))
    initial_rank = np.argsort(dist, axis=1, kind='stable')
    rows, cols = np.nonzero(_expanded_neighbour_mask(initial_rank, k1))
    weights = np.exp(-dist[rows, cols])
    weights /= np.bincount(rows, weights=weights, minlength=num)[rows]
    v = sparse.csr_matrix((weights, (rows, cols)), shape=(num, num))
    if k2 != 1:
        expansion = sparse.csr_matrix(
            (np.full(num * k2, 1.0 / k2), initial_rank[:, :k2].ravel(), np.arange(0, num * k2 + 1, k2)),
            shape=(num, num))
        v = expansion @ v
    v = v.tocsr()
    overlap = _jaccard_overlap(v[:num_q].tocsc(), v[num_q:].tocsc())
    jaccard = 1.0 - overlap / (2.0 - overlap)
    return jaccard * (1.0 - lambda_value) + dist[:num_q, num_q:] * lambda_value
