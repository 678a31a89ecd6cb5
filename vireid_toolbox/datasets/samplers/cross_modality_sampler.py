"""A P x K identity sampler that puts both modalities of every identity in each batch."""
import math
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from vireid_toolbox.datasets.seeded_augmentation import SeededIndex, draw_seed
from vireid_toolbox.registry import DATA_SAMPLERS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE


@DATA_SAMPLERS.register_module()
class CrossModalityIdentitySampler(Sampler):
    """Batches of ``num_ids`` identities x ``num_instances`` images per modality.

    Every batch holds P = ``num_ids`` distinct identities and, for each, K =
    ``num_instances`` visible then K infrared images. Layout of a batch of
    ``2 * P * K`` indices: identity 1's K visible, identity 1's K infrared,
    identity 2's K visible, ... Only identities with images of both modalities
    are drawn. An identity with fewer than K images of a modality is sampled
    with replacement, otherwise without.

    Epoch length: ``ceil(max(#visible, #infrared) / (P * K))`` batches over the
    eligible images, so each epoch draws about as many images per modality as
    the larger modality holds (one pass, as the AGW/HcTri identity sampler),
    rounded up to a multiple of the world size.

    ``visible_views=2`` (CAJ) adds the second view of each drawn visible image
    (:class:`~vireid_toolbox.datasets.VisibleViewsDataset`) after the K visible
    images of its identity: batches of ``3 * P * K`` indices. Second views are
    never drawn on their own.

    Distributed: all ranks build the same global sequence of batches from
    ``seed + epoch`` and rank ``r`` takes batches ``r, r + world_size, ...``,
    so the ranks' batches are disjoint and together form the global sequence.
    Batches are drawn one after another from one generator, so a longer
    sequence only appends batches.

    Augmentation: every index is a :class:`SeededIndex` whose seed is
    ``draw_seed(seed, epoch, position)``, ``position`` counting the draws of
    the epoch's global sequence. The random augmentation of a draw is thus the
    same whichever process or data-loader worker runs it, and a resumed run
    repeats the uninterrupted one (``docs/en/advanced_guides/reproducibility.md``).

    Args:
        dataset (Sized): A data set whose ``get_data_info(i)`` gives
            ``gt_label`` and ``modality`` (0 visible, 1 infrared).
        batch_size (int): Images per batch and rank; must equal
            ``(visible_views + 1) * num_ids * num_instances`` and the
            dataloader's batch size.
        num_ids (int): Identities per batch (P).
        num_instances (int): Images per identity and modality (K).
        seed (int, optional): Random seed; ``None`` draws one and shares it
            across ranks (``mmengine.dist.sync_random_seed``).
        visible_views (int): 1, or 2 for the second views of the visible
            images (the data set must provide them). Defaults to 1.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 num_ids: int,
                 num_instances: int,
                 seed: Optional[int] = None,
                 visible_views: int = 1):
        if num_ids < 1 or num_instances < 1:
            raise ValueError(f'num_ids and num_instances must be >= 1, got {num_ids} and '
                             f'{num_instances}')
        if visible_views not in (1, 2):
            raise ValueError(f'visible_views must be 1 or 2, got {visible_views!r}')
        views = visible_views + 1
        if batch_size != views * num_ids * num_instances:
            raise ValueError(f'batch_size {batch_size} != {views} * num_ids * num_instances = '
                             f'{views} * {num_ids} * {num_instances} = '
                             f'{views * num_ids * num_instances}: each batch holds num_instances '
                             f'images of num_ids ids per modality (visible_views={visible_views} '
                             'visible views)')
        self.batch_size = batch_size
        self.num_ids = num_ids
        self.num_instances = num_instances
        self.visible_views = visible_views
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

        pools, self.second_view = self._index_pools(dataset)
        self.labels = np.array(sorted(label for label, by_mod in pools.items() if len(by_mod) == 2))
        if len(self.labels) < num_ids:
            raise ValueError(f'only {len(self.labels)} identities have images of both modalities, '
                             f'fewer than num_ids={num_ids}')
        self.pools = {label: (np.array(pools[label][VISIBLE]), np.array(pools[label][INFRARED]))
                      for label in self.labels.tolist()}
        if visible_views == 2:
            self._check_second_views(dataset)
        largest_modality = max(
            sum(len(pair[modality]) for pair in self.pools.values())
            for modality in (VISIBLE, INFRARED))
        one_pass = math.ceil(largest_modality / (num_ids * num_instances))
        self.num_batches = math.ceil(one_pass / self.world_size) * self.world_size

    @staticmethod
    def _index_pools(dataset: Sized) -> Tuple[Dict[int, Dict[int, List[int]]], Dict[int, int]]:
        """``{label: {modality: [dataset indices]}}`` and ``{first view: second view}`` indices
        from the data infos (no image decoding)."""
        pools: Dict[int, Dict[int, List[int]]] = defaultdict(lambda: defaultdict(list))
        second_view: Dict[int, int] = {}
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            if info.get('view', 0) != 0:
                second_view[int(info['source_index'])] = index
                continue
            for key in ('gt_label', 'modality'):
                if key not in info:
                    raise KeyError(f'data info {index} of {type(dataset).__name__} has no {key!r} '
                                   'key, which CrossModalityIdentitySampler needs')
            modality = int(info['modality'])
            if modality not in (VISIBLE, INFRARED):
                raise ValueError(f'data info {index} of {type(dataset).__name__}: modality '
                                 f'{info["modality"]!r} is neither {VISIBLE} nor {INFRARED}')
            pools[int(info['gt_label'])][modality].append(index)
        return pools, second_view

    def _check_second_views(self, dataset: Sized) -> None:
        for visible, _ in self.pools.values():
            missing = [index for index in visible.tolist() if index not in self.second_view]
            if missing:
                raise ValueError(f'visible_views=2: visible image {missing[0]} of '
                                 f'{type(dataset).__name__} has no second view; wrap the data '
                                 'set in VisibleViewsDataset')

    def global_batches(self) -> Iterator[List[int]]:
        """The batches of all ranks for the current epoch, in order."""
        rng = np.random.default_rng(self.seed + self.epoch)
        for _ in range(self.num_batches):
            batch = []
            for label in rng.choice(self.labels, self.num_ids, replace=False).tolist():
                for modality, pool in enumerate(self.pools[label]):
                    replace = len(pool) < self.num_instances
                    picks = rng.choice(pool, self.num_instances, replace=replace).tolist()
                    batch.extend(picks)
                    if modality == VISIBLE and self.visible_views == 2:
                        batch.extend(self.second_view[index] for index in picks)
            yield batch

    def __iter__(self) -> Iterator[SeededIndex]:
        for number, batch in enumerate(self.global_batches()):
            if number % self.world_size == self.rank:
                first = number * self.batch_size
                for position, index in enumerate(batch, first):
                    yield SeededIndex(index, draw_seed(self.seed, self.epoch, position))

    def __len__(self) -> int:
        """Number of indices this rank yields per epoch."""
        return self.num_batches // self.world_size * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; the batches are drawn from ``seed + epoch``."""
        self.epoch = epoch
