"""CrossModalityIdentitySampler: batch layout, eligibility, determinism, ranks, length."""
import math

import pytest
from mmengine.dataset import BaseDataset

from vireid_toolbox.datasets.samplers import cross_modality_sampler
from vireid_toolbox.datasets.samplers.cross_modality_sampler import CrossModalityIdentitySampler
from vireid_toolbox.registry import DATA_SAMPLERS


class InMemoryDataset(BaseDataset):
    """A real mmengine data set whose data list is given (no files)."""

    def __init__(self, infos):
        self._infos = infos
        super().__init__(serialize_data=True)

    def load_data_list(self):
        return [dict(info) for info in self._infos]


def make_dataset(counts):
    """counts: {label: (#visible, #infrared)} -> data set, entries grouped in a scrambled order."""
    infos = []
    for label, (n_vis, n_ir) in counts.items():
        infos += [dict(gt_label=label, modality=0)] * n_vis
        infos += [dict(gt_label=label, modality=1)] * n_ir
    infos = infos[1::2] + infos[::2]  # entries of one id are not contiguous
    return InMemoryDataset(infos)


# id 3 has no infrared image (never eligible); id 1 has a single infrared image
COUNTS = {0: (5, 4), 1: (6, 1), 2: (3, 3), 3: (4, 0), 4: (2, 7), 5: (4, 4)}
ELIGIBLE = {0, 1, 2, 4, 5}
P, K = 3, 2


def build(dataset, seed=0, rank=0, world_size=1, monkeypatch=None, batch_size=2 * P * K):
    monkeypatch.setattr(cross_modality_sampler, 'get_dist_info', lambda: (rank, world_size))
    return CrossModalityIdentitySampler(dataset, batch_size, P, K, seed=seed)


def batches_of(sampler):
    indices = list(sampler)
    assert len(indices) == len(sampler)
    return [indices[i:i + sampler.batch_size] for i in range(0, len(indices), sampler.batch_size)]


def test_every_batch_holds_p_ids_with_k_visible_then_k_infrared(monkeypatch):
    dataset = make_dataset(COUNTS)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    batches = batches_of(build(dataset, monkeypatch=monkeypatch))
    for batch in batches:
        blocks = [batch[i:i + 2 * K] for i in range(0, len(batch), 2 * K)]
        labels = [infos[block[0]]['gt_label'] for block in blocks]
        assert len(set(labels)) == P and set(labels) <= ELIGIBLE
        for label, block in zip(labels, blocks):
            assert [infos[i]['gt_label'] for i in block] == [label] * 2 * K
            assert [infos[i]['modality'] for i in block] == [0] * K + [1] * K
            for part in (block[:K], block[K:]):
                pool_size = COUNTS[label][infos[part[0]]['modality']]
                if pool_size >= K:  # without replacement when the id has enough images
                    assert len(set(part)) == K
    # id 1's single infrared image is repeated (sampling with replacement)
    ir_one = [i for i, info in enumerate(infos) if info['gt_label'] == 1 and info['modality'] == 1]
    assert any(batch.count(ir_one[0]) == K for batch in batches)


def test_epoch_length_is_one_pass_over_the_larger_modality(monkeypatch):
    dataset = make_dataset(COUNTS)
    n_vis = sum(COUNTS[label][0] for label in ELIGIBLE)  # 20
    n_ir = sum(COUNTS[label][1] for label in ELIGIBLE)  # 19
    num_batches = math.ceil(max(n_vis, n_ir) / (P * K))
    assert len(build(dataset, monkeypatch=monkeypatch)) == num_batches * 2 * P * K


def test_deterministic_from_seed_and_epoch(monkeypatch):
    dataset = make_dataset(COUNTS)
    sampler = build(dataset, seed=7, monkeypatch=monkeypatch)
    first = list(sampler)
    assert list(sampler) == first
    assert list(build(dataset, seed=7, monkeypatch=monkeypatch)) == first
    assert list(build(dataset, seed=8, monkeypatch=monkeypatch)) != first
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first
    other = build(dataset, seed=7, monkeypatch=monkeypatch)
    other.set_epoch(1)
    assert list(other) == second


def test_seed_none_is_shared_through_sync_random_seed(monkeypatch):
    monkeypatch.setattr(cross_modality_sampler, 'sync_random_seed', lambda: 1234)
    dataset = make_dataset(COUNTS)
    assert list(build(dataset, seed=None, monkeypatch=monkeypatch)) == \
        list(build(dataset, seed=1234, monkeypatch=monkeypatch))


@pytest.mark.parametrize('counts', [COUNTS, {**COUNTS, 6: (6, 2)}], ids=['even', 'odd'])
def test_two_ranks_split_the_global_sequence(monkeypatch, counts):
    dataset = make_dataset(counts)
    single = batches_of(build(dataset, seed=3, monkeypatch=monkeypatch))
    ranks = [build(dataset, seed=3, rank=r, world_size=2, monkeypatch=monkeypatch) for r in (0, 1)]
    for sampler in ranks:
        sampler.set_epoch(2)
    rank_batches = [batches_of(sampler) for sampler in ranks]
    assert len(rank_batches[0]) == len(rank_batches[1]) == math.ceil(len(single) / 2)
    interleaved = [batch for pair in zip(*rank_batches) for batch in pair]
    reference = build(dataset, seed=3, monkeypatch=monkeypatch)
    reference.set_epoch(2)
    reference.num_batches = len(interleaved)  # an odd single-rank count is padded by one batch
    assert interleaved == list(reference.global_batches())
    # with an even count the ranks together give exactly the one-rank epoch
    if len(single) % 2 == 0:
        reference.num_batches = len(single)
        assert interleaved == list(reference.global_batches())


def test_clear_errors(monkeypatch):
    dataset = make_dataset(COUNTS)
    message = r'batch_size 10 != 2 \* num_ids \* num_instances = 2 \* 3 \* 2 = 12'
    with pytest.raises(ValueError, match=message):
        build(dataset, batch_size=10, monkeypatch=monkeypatch)
    with pytest.raises(ValueError, match='only 2 identities have images of both modalities'):
        build(make_dataset({0: (2, 2), 1: (1, 3), 2: (3, 0)}), monkeypatch=monkeypatch)
    with pytest.raises(KeyError, match="no 'modality' key"):
        build(InMemoryDataset([dict(gt_label=0)]), monkeypatch=monkeypatch)
    with pytest.raises(ValueError, match='modality 2 is neither 0 nor 1'):
        build(InMemoryDataset([dict(gt_label=0, modality=2)]), monkeypatch=monkeypatch)


def test_built_from_the_registry_with_runner_defaults():
    dataset = make_dataset(COUNTS)
    sampler = DATA_SAMPLERS.build(
        dict(type='CrossModalityIdentitySampler', batch_size=12, num_ids=P, num_instances=K),
        default_args=dict(dataset=dataset, seed=5))
    assert isinstance(sampler, CrossModalityIdentitySampler) and sampler.seed == 5


def test_visible_views_follow_their_first_views(monkeypatch):
    from mmengine.dataset import Compose

    from vireid_toolbox.datasets import VisibleViewsDataset
    monkeypatch.setattr(cross_modality_sampler, 'get_dist_info', lambda: (0, 1))
    dataset = VisibleViewsDataset(make_dataset(COUNTS), view_pipeline=[])
    dataset.view_pipeline = Compose([lambda results: dict(results, second=True)])
    base = dataset.dataset
    assert len(dataset) == len(base) + sum(n_vis for n_vis, _ in COUNTS.values())
    sampler = CrossModalityIdentitySampler(dataset, 3 * P * K, P, K, seed=0, visible_views=2)
    # one pass over the larger modality, as without second views
    assert len(sampler) == math.ceil(20 / (P * K)) * 3 * P * K
    for batch in batches_of(sampler):
        for block in (batch[i:i + 3 * K] for i in range(0, len(batch), 3 * K)):
            first, second, infrared = block[:K], block[K:2 * K], block[2 * K:]
            assert all(i < len(base) for i in first + infrared)
            assert [dataset.get_data_info(i)['source_index'] for i in second] == first
            assert [dataset.get_data_info(i)['modality'] for i in block] == [0] * 2 * K + [1] * K
    view = dataset[second[0]]
    assert view['second'] and view['view'] == 1 and view['gt_label'] == base[first[0]]['gt_label']
    with pytest.raises(ValueError, match='has no second view; wrap the data set in '
                                         'VisibleViewsDataset'):
        CrossModalityIdentitySampler(base, 3 * P * K, P, K, seed=0, visible_views=2)
    with pytest.raises(ValueError, match=r'batch_size 12 != 3 \* num_ids'):
        CrossModalityIdentitySampler(dataset, 2 * P * K, P, K, seed=0, visible_views=2)
