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

Only the ranks of the true matches are needed, so no index sort is done:

* deduplicated CMC: the query identity's rank in the deduplicated ranking is
  1 + the number of other identities whose nearest (non-ignored) item is
  nearer than the query identity's nearest one (per-identity minima, one
  reduction over each identity's columns); exact ties are broken by the
  gallery index of the items achieving the minima;
* mAP / mINP: every row is sorted by value only and each match's distance is
  located in its sorted row by a batched binary search, which counts the
  items nearer than the match; the few matches whose distance occurs more
  than once in the row get an exact index tie-break;
* the camera rule is applied by grouping the queries by the gallery columns
  it keeps for them (SYSU-MM01: cam-3 queries, cam-6 queries): the ignored
  columns are left out of the group's matrix; items of the query's identity
  and camera (LLCM) get an infinite distance, so they are never nearer than
  a match and are never matches.

The work is chunked over queries, which bounds the memory, and the chunks
are evaluated by ``torch.get_num_threads()`` threads (numpy releases the GIL
while it sorts and reduces).
"""
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence]

CMC_MODES = ('unique', 'standard')
_CHUNK_ELEMENTS = 1 << 20
"""Distance entries one thread handles at once (4 MiB per float32 working array)."""


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
    if distmat.dtype not in (np.float32, np.float64):
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
    """Where every identity's items are in the gallery columns.

    The columns are never reordered (a column's index is its tie-break):
    per-identity reductions run over the runs of equal consecutive ids, then
    merge the runs of each identity, which is a no-op when the gallery is
    grouped by identity (as the protocols' draws are).
    """

    def __init__(self, gallery_ids: np.ndarray):
        self.ids, column_id = np.unique(gallery_ids, return_inverse=True)
        column_id = column_id.reshape(-1)
        self.members = np.argsort(column_id, kind='stable')
        """Columns of identity 0 in ascending order, then of identity 1, ..."""
        self.count = np.bincount(column_id, minlength=len(self.ids))
        self.start = np.concatenate(([0], np.cumsum(self.count)[:-1]))
        self.run_starts = np.flatnonzero(np.diff(column_id, prepend=-1))
        run_ids = column_id[self.run_starts]
        if np.array_equal(run_ids, np.arange(len(self.ids))):
            self.run_order = None  # one run per identity, in identity order
        else:
            self.run_order = np.argsort(run_ids, kind='stable')
            self.run_group_starts = np.searchsorted(run_ids[self.run_order],
                                                    np.arange(len(self.ids)))

    def index_of(self, query_ids: np.ndarray) -> np.ndarray:
        """Identity index of every query id in the gallery, -1 when absent."""
        pos = np.searchsorted(self.ids, query_ids).clip(max=len(self.ids) - 1)
        return np.where(self.ids[pos] == query_ids, pos, -1)

    def reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        """``ufunc`` (e.g. ``np.minimum``) of ``values`` (``n x G``) over each identity's columns.

        Returns:
            np.ndarray: ``n x num_ids``, identities in ``self.ids`` order.
        """
        out = ufunc.reduceat(values, self.run_starts, axis=1)
        if self.run_order is not None:
            out = ufunc.reduceat(out[:, self.run_order], self.run_group_starts, axis=1)
        return out


def _camera_groups(num_q: int, num_g: int, query_cams: Optional[np.ndarray],
                   gallery_cams: Optional[np.ndarray],
                   pairs: Tuple[Tuple[int, int], ...]) -> Tuple[np.ndarray, List[np.ndarray]]:
    """The queries grouped by the gallery columns that the camera rule keeps for them.

    Returns:
        tuple: ``(group of every query, kept gallery columns of every group)``,
        the columns ascending.
    """
    if not pairs:
        return np.zeros(num_q, dtype=np.int64), [np.arange(num_g)]
    cams, query_class = np.unique(query_cams, return_inverse=True)
    kept, class_group = {}, []
    for cam in cams:
        ignored = np.zeros(num_g, dtype=bool)
        for cam_q, cam_g in pairs:
            if cam_q == cam:
                ignored |= gallery_cams == cam_g
        group, _ = kept.setdefault(ignored.tobytes(), (len(kept), np.flatnonzero(~ignored)))
        class_group.append(group)
    return np.array(class_group)[query_class.reshape(-1)], [cols for _, cols in kept.values()]


class _GroupEvaluator:
    """Evaluates the queries of one camera group: they all keep the same gallery columns.

    Args:
        cols (np.ndarray): The gallery columns kept for the group (ascending,
            so that their position breaks ties as the gallery index does).
        num_g (int): Number of gallery columns.
        query_ids, gallery_ids (np.ndarray): Identity labels (all queries, all
            gallery items).
        same_id_same_cam (tuple, optional): ``(query_cams, gallery_cams)`` when
            items sharing the query's identity and camera are ignored.
        cmc_mode (str): 'unique' or 'standard'.
        max_rank (int): Length of the CMC.
    """

    def __init__(self, cols, num_g, query_ids, gallery_ids, same_id_same_cam, cmc_mode, max_rank):
        self.cols = None if len(cols) == num_g else cols
        self.gallery = _GalleryByIdentity(gallery_ids[cols])
        self.query_id_index = self.gallery.index_of(query_ids)
        self.same_id_same_cam = None if same_id_same_cam is None else (
            same_id_same_cam[0], same_id_same_cam[1][cols])
        self.cmc_mode = cmc_mode
        self.max_rank = max_rank
        self.columns = np.arange(len(cols))

    def __call__(self, block: np.ndarray, local: np.ndarray, queries: np.ndarray,
                 space: '_Workspace') -> Tuple[int, float, float, np.ndarray]:
        """Sums over the group's queries in a chunk that have a match.

        Args:
            block (np.ndarray): The chunk's distances (a workspace buffer).
            local (np.ndarray): The group's rows in ``block``.
            queries (np.ndarray): Their query indices.
            space (_Workspace): The thread's buffers.

        Returns:
            tuple: ``(num_valid, sum of AP, sum of INP, histogram of the CMC
            ranks, clipped to max_rank + 1)``.
        """
        dist = block
        if len(local) < len(block):
            dist = space.get('group', (len(local), block.shape[1]))
            np.take(block, local, axis=0, out=dist, mode='clip')  # 'clip': unbuffered
        if self.cols is not None:
            kept = space.get('kept', (len(local), len(self.cols)))
            dist = np.take(dist, self.cols, axis=1, out=kept, mode='clip')
        thresholds, cols = self._match_distances(dist, queries)
        num_pos = np.isfinite(thresholds).sum(axis=1)
        match_ranks = self._match_ranks(dist, thresholds, cols, space)
        if self.cmc_mode == 'standard':
            first_rank = match_ranks[:, 0]
        else:
            first_rank = self._unique_first_rank(dist, thresholds[:, :1], cols[:, :1], num_pos)

        valid = num_pos > 0
        num_pos, match_ranks, first_rank = num_pos[valid], match_ranks[valid], first_rank[valid]
        is_match = np.arange(match_ranks.shape[1]) < num_pos[:, None]
        precision = np.arange(1, match_ranks.shape[1] + 1) / match_ranks
        ap_sum = float(((precision * is_match).sum(axis=1) / num_pos).sum())
        hardest = match_ranks[np.arange(len(num_pos)), num_pos - 1]
        inp_sum = float((num_pos / hardest).sum())
        hist = np.bincount(np.minimum(first_rank, self.max_rank + 1) - 1,
                           minlength=self.max_rank + 1)
        return int(valid.sum()), ap_sum, inp_sum, hist

    def _match_distances(self, dist: np.ndarray,
                         queries: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Distances and columns of every query's matches, ascending by (distance, column).

        Ignored matches (and padding) have distance +inf: items of the query's
        identity and camera are set to +inf in ``dist`` when that rule is on.
        """
        gallery = self.gallery
        id_index = self.query_id_index[queries]
        slots = np.arange(gallery.count.max())
        count = np.where(id_index >= 0, gallery.count[id_index], 0)
        in_id = slots < count[:, None]
        cols = gallery.members[np.where(in_id, gallery.start[id_index][:, None] + slots, 0)]
        row_of = np.broadcast_to(np.arange(dist.shape[0])[:, None], cols.shape)
        if self.same_id_same_cam is not None:
            query_cams, gallery_cams = self.same_id_same_cam
            same_cam = in_id & (gallery_cams[cols] == query_cams[queries][:, None])
            dist[row_of[same_cam], cols[same_cam]] = np.inf
        thresholds = np.where(in_id, dist[row_of, cols], np.inf)
        # the columns of an identity are ascending, so a stable sort orders by (distance, column)
        order = np.argsort(thresholds, axis=1, kind='stable')
        return np.take_along_axis(thresholds, order, 1), np.take_along_axis(cols, order, 1)

    def _match_ranks(self, dist: np.ndarray, thresholds: np.ndarray, cols: np.ndarray,
                     space: '_Workspace') -> np.ndarray:
        """1-based rank of every match in its query's kept raw ranking.

        The rows are sorted by value and every match's distance is bisected
        in its sorted row, which counts the nearer items exactly. A match
        whose distance occurs again in its row (an exact tie) also counts the
        equal items at smaller columns.
        """
        sorted_rows = space.get('sorted', dist.shape)
        np.copyto(sorted_rows, dist)
        sorted_rows.sort(axis=1)
        nearer = _count_smaller(sorted_rows, thresholds)
        finite = np.isfinite(thresholds)
        last = dist.shape[1] - 1
        next_value = sorted_rows[np.arange(len(dist))[:, None], np.minimum(nearer + 1, last)]
        tie_rows, tie_slots = np.nonzero((next_value == thresholds) & (nearer < last) & finite)
        ranks = nearer + 1
        step = max(1, _CHUNK_ELEMENTS // dist.shape[1])
        for s in range(0, len(tie_rows), step):
            r, j = tie_rows[s:s + step], tie_slots[s:s + step]
            equal_before = ((dist[r] == thresholds[r, j][:, None]) &
                            (self.columns < cols[r, j][:, None]))
            ranks[r, j] += equal_before.sum(axis=1)
        return ranks

    def _unique_first_rank(self, dist: np.ndarray, first: np.ndarray, first_col: np.ndarray,
                           num_pos: np.ndarray) -> np.ndarray:
        """Rank of the first match in the ranking deduplicated by identity.

        1 + the number of identities whose nearest item comes before the first
        match: a smaller minimum distance, or an equal one at a smaller column.
        """
        id_min = self.gallery.reduce(np.minimum, dist)
        first_rank = (id_min < first).sum(axis=1) + 1
        # the query's own identity reaches the minimum; another one reaching it is a tie
        tied = np.flatnonzero(((id_min == first).sum(axis=1) > 1) & (num_pos > 0))
        if tied.size:
            before = (dist[tied] < first[tied]) | ((dist[tied] == first[tied]) &
                                                   (self.columns < first_col[tied]))
            first_rank[tied] = self.gallery.reduce(np.logical_or, before).sum(axis=1) + 1
        return first_rank


def _count_smaller(sorted_rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``out[i, j] = #{g: sorted_rows[i, g] < values[i, j]}`` for ascending rows.

    One bisection of every value at once (binary lifting: the count grows by
    decreasing powers of two while the entry before it stays smaller), so only
    ``values.size * log2(G)`` entries are read.
    """
    num_rows, num_g = sorted_rows.shape
    flat = sorted_rows.reshape(-1)
    start = (np.arange(num_rows) * num_g)[:, None]
    last = start + num_g - 1
    count = np.repeat(start, values.shape[1], axis=1)  # absolute position in flat
    step = 1 << (num_g.bit_length() - 1)
    while step:
        candidate = count + step
        # past the row's end the row's maximum is compared: it only grows when all entries are
        np.copyto(count, candidate, where=flat[np.minimum(candidate - 1, last)] < values)
        step >>= 1
    return np.minimum(count - start, num_g)


class _Workspace:
    """One thread's chunk buffers, reused from chunk to chunk.

    Fresh multi-MiB arrays for every chunk would cost a page fault per 4 KiB
    page, about as much as the copies themselves.
    """

    def __init__(self, size: int, dtype: np.dtype):
        self.size, self.dtype = size, dtype
        self.buffers = {}

    def get(self, name: str, shape: Tuple[int, int]) -> np.ndarray:
        """A C-contiguous ``shape`` view of the buffer ``name`` (contents undefined)."""
        if name not in self.buffers:
            self.buffers[name] = np.empty(self.size, dtype=self.dtype)
        return self.buffers[name][:shape[0] * shape[1]].reshape(shape)


def _query_chunks(num_q: int, num_g: int, workers: int) -> List[slice]:
    """Row ranges of about ``_CHUNK_ELEMENTS`` entries, a multiple of ``workers`` of them."""
    num_chunks = max(workers, -(-num_q * num_g // _CHUNK_ELEMENTS))
    num_chunks = min(num_q, -(-num_chunks // workers) * workers)
    bounds = np.linspace(0, num_q, num_chunks + 1).round().astype(int)
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


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
    num_q, num_g = distmat.shape
    group_of, kept_cols = _camera_groups(num_q, num_g, query_cams, gallery_cams, pairs)
    evaluators = [
        _GroupEvaluator(cols, num_g, query_ids, gallery_ids,
                        (query_cams, gallery_cams) if ignore_same_id_same_cam else None,
                        cmc_mode, max_rank) if len(cols) else None for cols in kept_cols
    ]
    threads = max(1, torch.get_num_threads())
    chunks = _query_chunks(num_q, num_g, threads)
    workers = min(threads, len(chunks))

    def work(first: int) -> list:
        space = _Workspace((chunks[0].stop - chunks[0].start + 1) * num_g, distmat.dtype)
        sums = []
        for rows in chunks[first::workers]:
            block = space.get('block', (rows.stop - rows.start, num_g))
            np.copyto(block, distmat[rows])  # C order whatever the input layout
            for group, evaluate in enumerate(evaluators):
                local = np.flatnonzero(group_of[rows] == group)
                if evaluate is not None and len(local):
                    sums.append(evaluate(block, local, rows.start + local, space))
        return sums

    with ThreadPoolExecutor(max_workers=workers) as pool:
        sums = [s for part in pool.map(work, range(workers)) for s in part]
    num_valid = sum(s[0] for s in sums)
    if num_valid == 0:
        raise ValueError('no query has a true match in the gallery (after the camera rules): '
                         'check that query and gallery identities overlap')
    cmc = np.cumsum(sum(s[3] for s in sums)[:max_rank]) / num_valid
    return dict(cmc=cmc, mAP=sum(s[1] for s in sums) / num_valid,
                mINP=sum(s[2] for s in sums) / num_valid)
