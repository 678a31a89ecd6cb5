"""CMC, mAP and mINP of a query-gallery distance matrix, vectorised.

The semantics are those of the community's cross-modality reference code
(AGW / HcTri ``eval_metrics.py``: ``eval_sysu``, ``eval_regdb`` and DEEN's
``eval_llcm``), so numbers stay comparable with published ones:

* each query ranks the gallery by ascending distance; ties are broken by the
  gallery index, as a stable sort would (the reference's ``np.argsort`` is not
  stable, so on exact ties the reference itself is not deterministic); for
  :func:`rank_metrics_subsets` the index is the *pool* column, whatever the
  order of the subset's indices;
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

Only the ranks of the true matches are needed, so no row is sorted. Keyed by
``(distance, column)``, no two items of a row tie; a query's matches, sorted
by key, are its *thresholds* ``t_0 < t_1 < ...``, and every pool item gets
its *segment*: the number of thresholds whose key is smaller than its own
(match ``j`` has segment ``j``). For a subset ``S`` of the pool holding match
``j``, the items of ``S`` ranked at or before match ``j`` are exactly those
with segment ``<= j``, so:

* the raw rank of match ``j`` in ``S`` is ``#{s in S: seg_s <= j}``, a
  per-row histogram of the segments of ``S``, accumulated (mAP, mINP and the
  'standard' CMC);
* the rank of the first match ``j*`` of ``S`` in the ranking deduplicated by
  identity is the number of identities whose smallest segment in ``S`` is
  ``<= j*`` (the query's own identity counts itself);
* ignored items are never counted and never matches: the queries are
  grouped by the columns the camera rule ignores for them, which their
  subsets leave out, and the items of the query's identity and camera (LLCM)
  get a segment larger than any ``j``.

The segments are found for the whole pool once, with a grid lookup: each
row's threshold range is cut into uniform cells, a table gives every cell the
number of thresholds in the cells before it, and the few items of a cell
holding a threshold not above them are settled by a bisection on the keys.
Each subset then costs a gather, a histogram and a per-identity minimum of
small integers. The work is chunked over queries, which bounds the memory,
and the chunks are evaluated by ``torch.get_num_threads()`` threads (numpy
and torch release the GIL in these operations).
"""
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, torch.Tensor, Sequence]
SubsetSums = Tuple[int, float, float, np.ndarray]
"""Over some queries: ``(number with a match, sum of AP, sum of INP, histogram
of the CMC ranks clipped to max_rank + 1)``."""
Sums = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""The :data:`SubsetSums` of every subset, stacked."""

CMC_MODES = ('unique', 'standard')
_CHUNK_ELEMENTS = 1 << 21
"""Pool entries (query x column) one thread handles at once."""
_CELLS_PER_MATCH = 16
"""Grid cells per threshold slot: finer cells leave fewer items to bisect."""
_SHORT_RUN = 8
"""Mean identity run (columns) below which per-identity reductions use layers."""


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


def _check_subsets(subsets, num_g: int) -> List[np.ndarray]:
    """The subsets as int64 arrays of distinct pool columns; an error names a bad one."""
    if isinstance(subsets, (np.ndarray, torch.Tensor)) and subsets.ndim < 2:
        raise ValueError('subsets must be a sequence of column index arrays, got a '
                         f'{subsets.ndim}-D array: wrap a single subset in a list')
    checked = []
    for i, subset in enumerate(subsets):
        columns = _as_numpy(subset, f'subsets[{i}]')
        if columns.ndim != 1 or columns.size == 0:
            raise ValueError(f'subsets[{i}] must be a non-empty 1-D array of pool column '
                             f'indices, got shape {columns.shape}')
        if not np.issubdtype(columns.dtype, np.integer):
            raise ValueError(f'subsets[{i}] must hold integer column indices, got dtype '
                             f'{columns.dtype}')
        outside = columns[(columns < 0) | (columns >= num_g)]
        if outside.size:
            raise ValueError(f'subsets[{i}] holds column {outside[0]} outside the pool of '
                             f'{num_g} columns (0..{num_g - 1})')
        ordered = np.sort(columns)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if repeated.size:
            raise ValueError(f'subsets[{i}] holds column {repeated[0]} more than once')
        checked.append(columns.astype(np.int64))
    if not checked:
        raise ValueError('subsets is empty: pass at least one array of pool column indices')
    return checked


class _GalleryByIdentity:
    """Where every identity's items are in the gallery columns.

    The columns are never reordered (a column's index is its tie-break):
    per-identity reductions run over the runs of equal consecutive ids, then
    merge the runs of each identity, which is a no-op when the gallery is
    grouped by identity (as the protocols' draws are). When the runs are
    short (single-shot galleries: a few items per identity), a reduction
    over each run costs more than its items, so the identities' columns are
    instead gathered as layers (layer ``k``: every identity's ``k``-th item,
    its last one again when it has fewer) and reduced elementwise.
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
        self.layers = None
        num_layers = self.count.max()
        if (len(column_id) < _SHORT_RUN * len(self.run_starts)
                and num_layers * len(self.ids) <= 2 * len(column_id)):
            item = np.minimum(np.arange(num_layers)[:, None], self.count - 1)
            self.layers = self.members[self.start + item]

    def index_of(self, query_ids: np.ndarray) -> np.ndarray:
        """Identity index of every query id in the gallery, -1 when absent."""
        pos = np.searchsorted(self.ids, query_ids).clip(max=len(self.ids) - 1)
        return np.where(self.ids[pos] == query_ids, pos, -1)

    def reduce(self, ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        """``ufunc`` of ``values`` (``n x G``) over each identity's columns.

        ``ufunc`` must be idempotent (``np.minimum``, ``np.maximum``): the
        layers repeat items.

        Returns:
            np.ndarray: ``n x num_ids``, identities in ``self.ids`` order.
        """
        if self.layers is not None:
            return ufunc.reduce(np.take(values, self.layers, axis=1), axis=1)
        out = ufunc.reduceat(values, self.run_starts, axis=1)
        if self.run_order is not None:
            out = ufunc.reduceat(out[:, self.run_order], self.run_group_starts, axis=1)
        return out


def _camera_groups(num_q: int, query_cams: Optional[np.ndarray],
                   gallery_cams: Optional[np.ndarray], pairs: Tuple[Tuple[int, int], ...]
                   ) -> Tuple[np.ndarray, List[Optional[np.ndarray]]]:
    """The queries grouped by the pool columns that the camera rule ignores for them.

    Returns:
        tuple: ``(group of every query, ignored-column mask of every group)``,
        a mask ``None`` when the group ignores nothing.
    """
    if not pairs:
        return np.zeros(num_q, dtype=np.int64), [None]
    cams, query_class = np.unique(query_cams, return_inverse=True)
    masks, class_group = {}, []
    for cam in cams:
        ignored = np.zeros(len(gallery_cams), dtype=bool)
        for cam_q, cam_g in pairs:
            if cam_q == cam:
                ignored |= gallery_cams == cam_g
        group, _ = masks.setdefault(ignored.tobytes(),
                                    (len(masks), ignored if ignored.any() else None))
        class_group.append(group)
    return np.array(class_group)[query_class.reshape(-1)], [mask for _, mask in masks.values()]


def _query_chunks(group_of: np.ndarray, num_g: int, workers: int) -> List[Tuple[int, np.ndarray]]:
    """``(group, query indices)`` pieces of about ``_CHUNK_ELEMENTS`` entries, one group each."""
    rows = max(1, min(_CHUNK_ELEMENTS // num_g, -(-len(group_of) // workers)))
    chunks = []
    for group in np.unique(group_of):
        queries = np.flatnonzero(group_of == group)
        chunks += [(group, part) for part in np.array_split(queries, -(-len(queries) // rows))]
    return chunks


class _Workspace:
    """One thread's chunk buffers, reused from chunk to chunk.

    Fresh multi-MiB arrays for every chunk would cost a page fault per 4 KiB
    page, about as much as the work on them.
    """

    def __init__(self):
        self.buffers = {}

    def get(self, name: str, shape: Tuple[int, ...], dtype) -> np.ndarray:
        """A C-contiguous ``shape`` view of the buffer ``name`` (contents undefined)."""
        size = int(np.prod(shape))
        buffer = self.buffers.get(name)
        if buffer is None or buffer.size < size or buffer.dtype != dtype:
            buffer = self.buffers[name] = np.empty(size, dtype=dtype)
        return buffer[:size].reshape(shape)


class _Subset:
    """The columns of one subset that one camera group keeps, reused for every chunk.

    Args:
        columns (np.ndarray): The subset's distinct pool columns.
        ignored_cols (np.ndarray, optional): Pool columns the group ignores.
        pool_ids (np.ndarray): Identity of every pool column.
        by_identity (bool): Whether the deduplicated CMC needs its identities.
    """

    def __init__(self, columns: np.ndarray, ignored_cols: Optional[np.ndarray],
                 pool_ids: np.ndarray, by_identity: bool):
        if ignored_cols is not None:
            columns = columns[~ignored_cols[columns]]
        all_columns = np.array_equal(columns, np.arange(len(pool_ids)))
        self.columns = None if all_columns else columns
        self.member = np.zeros(len(pool_ids), dtype=bool)
        self.member[columns] = True
        self.gallery = (_GalleryByIdentity(pool_ids[columns])
                        if by_identity and len(columns) else None)


class _PoolEvaluator:
    """Segments a chunk of queries against the pool, then evaluates every subset.

    Args:
        pool_ids (np.ndarray): Identity of every pool column.
        query_ids (np.ndarray): Identity of every query.
        same_id_same_cam (tuple, optional): ``(query_cams, pool_cams)`` when
            items sharing the query's identity and camera are ignored.
        group_ignored_cols (list): Per camera group, the mask of the pool
            columns it ignores (or None).
        subsets (list[np.ndarray]): Pool columns of every subset.
        cmc_mode (str): 'unique' or 'standard'.
        max_rank (int): Length of the CMC.
    """

    def __init__(self, pool_ids, query_ids, same_id_same_cam, group_ignored_cols, subsets,
                 cmc_mode, max_rank):
        self.pool = _GalleryByIdentity(pool_ids)
        self.query_id_index = self.pool.index_of(query_ids)
        self.same_id_same_cam = same_id_same_cam
        self.width = int(self.pool.count.max())
        """Threshold slots of a row: the most pool items of one identity."""
        self.ignored = self.width + 1
        """Segment of same-identity-same-camera items, above every match's."""
        self.nbins = self.ignored + 1
        self.seg_dtype = np.min_scalar_type(self.ignored)
        self.group_ignored_cols = group_ignored_cols
        self.group_subsets = [[_Subset(cols, ignored, pool_ids, cmc_mode == 'unique')
                               for cols in subsets] for ignored in group_ignored_cols]
        """Per camera group, every subset without the group's ignored columns."""
        self.cmc_mode = cmc_mode
        self.max_rank = max_rank

    def __call__(self, block: np.ndarray, queries: np.ndarray, group: int,
                 space: _Workspace) -> Sums:
        """The sums of every subset over the chunk ``block`` (rows = ``queries``, one group).

        The group's ignored columns are left out of its subsets, so only the
        items of the same-identity-same-camera rule need the ignored segment.
        """
        values, cols, num, same_cam = self._sorted_matches(block, queries,
                                                           self.group_ignored_cols[group])
        seg = _segments(block, values, cols, num, self.seg_dtype, space)
        if same_cam is not None:
            seg[same_cam] = self.ignored
        row, slot = np.nonzero(np.arange(self.width) < num[:, None])  # slots ascending per row
        matches = (row, slot, cols[row, slot])
        ranks = [self._subset_ranks(seg, matches, subset, space)
                 for subset in self.group_subsets[group]]
        return self._sums(len(seg), row, ranks)

    def _sorted_matches(self, block: np.ndarray, queries: np.ndarray,
                        ignored_cols: Optional[np.ndarray]):
        """Every query's non-ignored matches as ascending ``(distance, column)`` keys.

        Returns:
            tuple: ``(values, cols, num, same_cam)``: ``n x (width + 1)``
            distances (+inf after the ``num`` matches), ``n x width`` columns,
            the number of matches, and the ``(rows, columns)`` of the items
            ignored by the same-identity-same-camera rule (or None).
        """
        pool = self.pool
        id_index = self.query_id_index[queries]
        count = np.where(id_index >= 0, pool.count[id_index], 0)
        slots = np.arange(self.width)
        in_id = slots < count[:, None]
        cols = pool.members[np.where(in_id, pool.start[id_index][:, None] + slots, 0)]
        kept = in_id if ignored_cols is None else in_id & ~ignored_cols[cols]
        same_cam = None
        if self.same_id_same_cam is not None:
            query_cams, pool_cams = self.same_id_same_cam
            same = in_id & (pool_cams[cols] == query_cams[queries][:, None])
            kept = kept & ~same
            same_cam = (np.nonzero(same)[0], cols[same])
        values = np.full((len(block), self.width + 1), np.inf, dtype=block.dtype)
        matched = np.where(kept, np.take_along_axis(block, cols, 1), np.inf)
        # an identity's columns are ascending, so a stable sort orders by (distance, column)
        order = np.argsort(matched, axis=1, kind='stable')
        values[:, :-1] = np.take_along_axis(matched, order, 1)
        return values, np.take_along_axis(cols, order, 1), kept.sum(axis=1), same_cam

    def _subset_ranks(self, seg: np.ndarray, matches: Tuple[np.ndarray, np.ndarray, np.ndarray],
                      subset: _Subset, space: _Workspace
                      ) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        """The raw ranks of the chunk's matches that lie in ``subset``.

        Args:
            seg (np.ndarray): ``n x P`` segments of the pool entries.
            matches (tuple): ``(row, slot, pool column)`` of every match of
                the chunk, by row and ascending slot.
            subset (_Subset): The subset.
            space (_Workspace): The thread's buffers.

        Returns:
            tuple: ``(kept, rank, unique_rank)``: which matches lie in the
            subset, their raw ranks, and for 'unique' the deduplicated rank
            of every row's first one (rows ascending; None for 'standard').
        """
        row, slot, col = matches
        kept = np.flatnonzero(subset.member[col])
        if not kept.size:
            return kept, kept, None if self.cmc_mode == 'standard' else kept
        n = len(seg)
        if subset.columns is not None:
            seg = np.take(seg, subset.columns, axis=1, mode='clip',
                          out=space.get('subset', (n, len(subset.columns)), seg.dtype))
        at_or_before = np.cumsum(_row_histograms(seg, self.nbins, space)[:, :self.width], axis=1)
        rank = np.take(at_or_before, row[kept] * self.width + slot[kept])
        if self.cmc_mode == 'standard':
            return kept, rank, None
        rows = row[kept]
        first = kept[np.flatnonzero(np.diff(rows, prepend=-1))]
        nearest = subset.gallery.reduce(np.minimum, seg)[row[first]]
        return kept, rank, (nearest <= slot[first][:, None]).sum(axis=1)

    def _sums(self, n: int, match_row: np.ndarray,
              ranks: List[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]) -> Sums:
        """AP, INP and CMC sums of every subset from its matches' ranks, all subsets at once.

        The matches of subset ``t`` and row ``r`` form the group ``t * n + r``:
        in ``kept`` order the groups ascend and a group's slots too.
        """
        num_subsets, hist_len = len(ranks), self.max_rank + 1
        subset_of = np.repeat(np.arange(num_subsets), [len(kept) for kept, _, _ in ranks])
        group = subset_of * n + match_row[np.concatenate([kept for kept, _, _ in ranks])]
        rank = np.concatenate([rank for _, rank, _ in ranks])
        num_pos = np.bincount(group, minlength=num_subsets * n)
        start = np.cumsum(num_pos) - num_pos
        precision = (np.arange(len(group)) - start[group] + 1) / rank
        ap_sum = np.bincount(subset_of, weights=precision / num_pos[group], minlength=num_subsets)
        valid = np.flatnonzero(num_pos)
        valid_subset = valid // n
        first, last = start[valid], start[valid] + num_pos[valid] - 1
        inp_sum = np.bincount(valid_subset, weights=num_pos[valid] / rank[last],
                              minlength=num_subsets)
        if self.cmc_mode == 'standard':
            first_rank = rank[first]
        else:
            first_rank = np.concatenate([unique for _, _, unique in ranks])
        hist = np.bincount(valid_subset * hist_len + np.minimum(first_rank, hist_len) - 1,
                           minlength=num_subsets * hist_len).reshape(num_subsets, hist_len)
        return np.bincount(valid_subset, minlength=num_subsets), ap_sum, inp_sum, hist


def _row_histograms(seg: np.ndarray, nbins: int, space: _Workspace) -> np.ndarray:
    """``counts[r, b] = #{s: seg[r, s] == b}`` for ``b < nbins``.

    Row ``r``'s values go to bins ``r * nbins + seg``, so one bincount
    histograms every row. The bins are 16-bit when they fit: torch's bincount
    reads them as they are, where numpy's would first copy them to 64 bits.
    """
    n = len(seg)
    dtype = np.int16 if n * nbins <= np.iinfo(np.int16).max else np.int32
    bins = np.add(seg, (np.arange(n, dtype=dtype) * nbins)[:, None],
                  out=space.get('bins', seg.shape, dtype))
    counts = torch.bincount(torch.from_numpy(bins.reshape(-1)), minlength=n * nbins)
    return counts.numpy().reshape(n, nbins)


def _segments(block: np.ndarray, values: np.ndarray, cols: np.ndarray, num: np.ndarray,
              dtype: np.dtype, space: _Workspace) -> np.ndarray:
    """``seg[r, p] = #{j < num[r]: (values[r, j], cols[r, j]) < (block[r, p], p)}``.

    The grid cell of an entry bounds its segment by the thresholds of the
    cells before and after it; only the entries of a cell holding a threshold
    not above them need the bisection of :func:`_settle`.
    """
    cell, first, first_value = _grid_lookup(block, values, num, dtype, space)
    seg = np.take(first, cell, out=space.get('seg', block.shape, dtype), mode='clip')
    above = np.take(first_value, cell, mode='clip',
                    out=space.get('value', block.shape, block.dtype))
    pending = np.flatnonzero(
        np.less_equal(above, block, out=space.get('pending', block.shape, bool)))
    seg.reshape(-1)[pending] = _settle(pending, block, values, cols, seg.reshape(-1)[pending],
                                       first[cell.reshape(-1)[pending] + 1])
    return seg


def _grid_lookup(block: np.ndarray, values: np.ndarray, num: np.ndarray, dtype: np.dtype,
                 space: _Workspace) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every entry's cell in a uniform grid over its row's threshold range.

    The cell is a monotone function of the distance, the same for entries
    and thresholds, so a threshold in an earlier cell is smaller than the
    entry and one in a later cell larger, whatever the rounding.

    Returns:
        tuple: ``(cell, first, first_value)``: the flat index of every
        entry's cell, and per cell (flat, ``cells + 2`` per row) the number
        of thresholds in the cells before it and the value of the next
        threshold (+inf past the last one).
    """
    n, width = len(values), values.shape[1] - 1
    cells = max(1, min(_CELLS_PER_MATCH * width, block.shape[1]))
    rows = np.arange(n)
    low, high = values[:, 0], values[rows, np.maximum(num - 1, 0)]
    scale = _grid_scale(low, high, cells).astype(block.dtype)
    low = np.where(num > 0, low, 0).astype(block.dtype)

    def position(x: np.ndarray, out: np.ndarray) -> np.ndarray:
        with np.errstate(over='ignore'):  # +-inf is clipped like any far value
            np.subtract(x, low[:, None], out=out)
            np.multiply(out, scale[:, None], out=out)
        return np.clip(out, 0, cells, out=out)

    threshold_cell = position(values[:, :-1], np.empty((n, width), block.dtype)).astype(np.intp)
    threshold_cell[np.arange(width) >= num[:, None]] = cells + 1
    counts = np.bincount((threshold_cell + (rows * (cells + 2))[:, None]).reshape(-1),
                         minlength=n * (cells + 2)).reshape(n, cells + 2)
    first = np.zeros((n, cells + 2), dtype=dtype)
    first[:, 1:] = np.cumsum(counts[:, :-1], axis=1)
    first_value = np.take_along_axis(values, first.astype(np.intp), 1)
    cell = space.get('cell', block.shape, np.int32)
    np.copyto(cell, position(block, space.get('value', block.shape, block.dtype)), casting='unsafe')
    cell += (rows * (cells + 2)).astype(np.int32)[:, None]
    return cell, first.reshape(-1), first_value.reshape(-1)


def _grid_scale(low: np.ndarray, high: np.ndarray, cells: int) -> np.ndarray:
    """Cells per distance unit of every row: positive and finite, so no NaN can arise.

    A row whose thresholds all share one value (one match) spans its value's
    magnitude instead; an overflowing span falls back to 1.
    """
    with np.errstate(all='ignore'):
        span = np.where(high > low, high - low, np.abs(low))
        scale = cells / span
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1)


def _settle(pending: np.ndarray, block: np.ndarray, values: np.ndarray, cols: np.ndarray,
            start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Exact segments of the ``pending`` flat entries, known to lie in ``[start, end]``.

    A bisection (binary lifting) on the ``(distance, column)`` keys of the
    thresholds ``start .. end - 1`` of the entry's row.
    """
    row, col = np.divmod(pending, block.shape[1])
    distance = block.reshape(-1)[pending]
    count, end = start.astype(np.intp), end.astype(np.intp)
    value_start, col_start = row * values.shape[1], row * cols.shape[1]
    step = 1 << max(int((end - count).max(initial=0)).bit_length() - 1, 0)
    while step:
        candidate = count + step
        slot = np.minimum(candidate, end) - 1  # masked below where it is not a threshold
        value = np.take(values, value_start + slot, mode='clip')
        smaller = (value < distance) | ((value == distance) &
                                        (np.take(cols, col_start + slot, mode='clip') < col))
        np.copyto(count, candidate, where=smaller & (candidate <= end))
        step >>= 1
    return count


def _evaluate(distmat: np.ndarray, query_ids: np.ndarray, pool_ids: np.ndarray,
              query_cams: Optional[np.ndarray], pool_cams: Optional[np.ndarray],
              pairs: Tuple[Tuple[int, int], ...], ignore_same_id_same_cam: bool,
              subsets: List[np.ndarray], cmc_mode: str, max_rank: int) -> List[SubsetSums]:
    """The sums of every subset over all queries, chunk by chunk on the threads."""
    num_q, num_g = distmat.shape
    group_of, ignored_cols = _camera_groups(num_q, query_cams, pool_cams, pairs)
    evaluate = _PoolEvaluator(pool_ids, query_ids,
                              (query_cams, pool_cams) if ignore_same_id_same_cam else None,
                              ignored_cols, subsets, cmc_mode, max_rank)
    threads = max(1, torch.get_num_threads())
    chunks = _query_chunks(group_of, num_g, threads)
    workers = min(threads, len(chunks))

    thread = threading.local()

    def work(chunk: Tuple[int, np.ndarray]) -> Sums:
        if not hasattr(thread, 'space'):
            thread.space = _Workspace()
        group, queries = chunk
        block = np.take(distmat, queries, axis=0, mode='clip',  # 'clip': unbuffered
                        out=thread.space.get('block', (len(queries), num_g), distmat.dtype))
        return evaluate(block, queries, group, thread.space)

    # the pool hands the chunks out one by one, so the threads finish together
    with ThreadPoolExecutor(max_workers=workers) as pool:
        per_chunk = list(pool.map(work, chunks))
    return list(zip(*[sum(sums[k] for sums in per_chunk) for k in range(4)]))


def _summarise(sums: SubsetSums, max_rank: int, where: str) -> Dict[str, Union[np.ndarray, float]]:
    """One subset's ``(num_valid, ap_sum, inp_sum, hist)`` as CMC, mAP and mINP."""
    num_valid, ap_sum, inp_sum, hist = sums
    if num_valid == 0:
        raise ValueError(f'no query has a true match in {where} (after the camera rules): '
                         'check that query and gallery identities overlap')
    return dict(cmc=np.cumsum(hist[:max_rank]) / num_valid, mAP=float(ap_sum / num_valid),
                mINP=float(inp_sum / num_valid))


def rank_metrics_subsets(distmat: ArrayLike,
                         query_ids: ArrayLike,
                         gallery_ids: ArrayLike,
                         query_cams: Optional[ArrayLike] = None,
                         gallery_cams: Optional[ArrayLike] = None,
                         *,
                         subsets: Sequence[ArrayLike],
                         max_rank: int = 20,
                         ignore_cam_pairs: Sequence[Tuple[int, int]] = ((3, 2), ),
                         cmc_mode: str = 'unique',
                         ignore_same_id_same_cam: bool = False
                         ) -> List[Dict[str, Union[np.ndarray, float]]]:
    """:func:`rank_metrics` of several galleries drawn from one pool, in one pass.

    Equals ``rank_metrics(distmat[:, np.sort(s)], ...)`` for every subset
    ``s``: exact ties are broken by the pool column. The pool is bucketed
    against every query's matches once; each subset then only counts, so many
    trials (SYSU-MM01: 40 galleries) cost little more than one.

    Args:
        distmat (array-like): ``Q x P`` query-pool distances.
        query_ids, gallery_ids, query_cams, gallery_cams: As for
            :func:`rank_metrics`, the gallery ones for the ``P`` pool columns.
        subsets (Sequence[array-like]): Each a gallery: distinct pool column
            indices, in any order.
        max_rank, ignore_cam_pairs, cmc_mode, ignore_same_id_same_cam: As
            for :func:`rank_metrics`.

    Returns:
        list[dict]: One :func:`rank_metrics` result per subset, in order.

    Raises:
        ValueError: As :func:`rank_metrics`, naming the subset, and for a
            subset that is empty, repeats a column or leaves the pool.
    """
    (distmat, query_ids, gallery_ids, query_cams, gallery_cams, max_rank,
     pairs) = _check_inputs(distmat, query_ids, gallery_ids, query_cams, gallery_cams, max_rank,
                            ignore_cam_pairs, cmc_mode, ignore_same_id_same_cam)
    subsets = _check_subsets(subsets, distmat.shape[1])
    sums = _evaluate(distmat, query_ids, gallery_ids, query_cams, gallery_cams, pairs,
                     ignore_same_id_same_cam, subsets, cmc_mode, max_rank)
    return [_summarise(s, max_rank, f'subsets[{i}]') for i, s in enumerate(sums)]


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
    sums, = _evaluate(distmat, query_ids, gallery_ids, query_cams, gallery_cams, pairs,
                      ignore_same_id_same_cam, [np.arange(distmat.shape[1])], cmc_mode, max_rank)
    return _summarise(sums, max_rank, 'the gallery')
