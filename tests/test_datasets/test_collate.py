"""reid_collate: pseudo_collate's values, with one storage per kind of tensor."""
import pickle
from multiprocessing.reduction import ForkingPickler

import torch
import torch.utils.data._utils.worker as torch_worker
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from vireid_toolbox.datasets import reid_collate
from vireid_toolbox.datasets import shared_batch
from vireid_toolbox.datasets.shared_batch import worker_pool
from vireid_toolbox.structures import ReIDDataSample


def packed_samples(n=4, shape=(3, 8, 4), heatmaps=True):
    generator = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        sample = ReIDDataSample(metainfo=dict(modality=i % 2, img_path=f'{i}.jpg'))
        sample.set_gt_label(10 + i)
        if heatmaps:
            sample.heatmaps = torch.rand(16, 6, 3, generator=generator)
        samples.append(dict(inputs=torch.randint(0, 256, shape, generator=generator,
                                                 dtype=torch.uint8), data_samples=sample))
    return samples


def storages(tensors):
    return {t.untyped_storage().data_ptr() for t in tensors}


def assert_same_batch(batch, expected):
    torch.testing.assert_close(batch['inputs'], torch.stack(expected['inputs']), rtol=0, atol=0)
    for sample, reference in zip(batch['data_samples'], expected['data_samples']):
        assert sample.metainfo == reference.metainfo
        for field in ('gt_label', 'heatmaps'):
            torch.testing.assert_close(getattr(sample, field), getattr(reference, field),
                                       rtol=0, atol=0)


def test_stacks_inputs_and_shares_one_storage_per_field():
    samples = packed_samples()
    batch = reid_collate(samples)
    expected = pseudo_collate(packed_samples())
    assert_same_batch(batch, expected)
    assert batch['inputs'].shape == (4, 3, 8, 4) and batch['inputs'].dtype == torch.uint8
    for field in ('gt_label', 'heatmaps'):
        assert len(storages(getattr(s, field) for s in batch['data_samples'])) == 1


def test_mixed_shapes_stay_lists():
    samples = packed_samples(2) + packed_samples(2, shape=(3, 6, 4), heatmaps=False)
    batch = reid_collate(samples)
    assert isinstance(batch['inputs'], list) and len(batch['inputs']) == 4
    # labels still stack; heatmaps are missing in half of the samples and stay as they are
    assert len(storages(s.gt_label for s in batch['data_samples'])) == 1
    assert 'heatmaps' not in batch['data_samples'][3]
    assert len(storages(s.heatmaps for s in batch['data_samples'][:2])) == 2


def test_batch_crosses_a_worker_unchanged():
    loader = DataLoader(packed_samples(8), batch_size=4, num_workers=1, collate_fn=reid_collate)
    received = list(loader)
    assert len(received) == 2
    assert_same_batch(received[1], pseudo_collate(packed_samples(8)[4:]))


def collate_counting_segments(data_batch):
    """reid_collate, with the number of segments the worker's pool has allocated."""
    batch = reid_collate(data_batch)
    batch['segments'] = sum(s is not None for s in worker_pool().storages)
    return batch


def test_worker_reuses_segments_the_main_process_dropped_and_never_those_it_holds():
    samples = packed_samples(4 * 12)
    loader = DataLoader(samples, batch_size=4, num_workers=1, prefetch_factor=2,
                        collate_fn=collate_counting_segments)
    expected = [pseudo_collate(packed_samples(4 * 12)[i:i + 4]) for i in range(0, 48, 4)]
    held, segments = [], []
    for i, batch in enumerate(loader):
        segments.append(batch.pop('segments'))
        if i < 4:  # held: their segments stay busy, later batches go elsewhere
            held.append(batch)
    for batch, reference in zip(held, expected):
        assert_same_batch(batch, reference)  # nothing written into a held batch
    # 3 segments per batch: 4 held + 2 prefetched + the one being consumed, then reused
    # 3 per batch; busy at once: 4 held, 1 in the loop variable, 1 arriving, 2 prefetched
    assert segments[3] == 3 * 4 and segments[-1] <= 3 * (4 + 1 + 1 + 2) < 3 * len(expected)


def test_pool_reuses_the_tightest_free_segment():
    pool = shared_batch._SegmentPool(slots=3)
    images, image_slot = pool.stack([torch.ones(1000)] * 2)
    labels, label_slot = pool.stack([torch.ones(2)] * 2)
    segments = [s.data_ptr() for s in pool.storages[:2]]
    pool.flags.zero_()  # both dropped by the receiver
    labels, again = pool.stack([torch.full((2, ), 2.)] * 2)
    assert again == label_slot  # not the free image segment
    images, again = pool.stack([torch.full((1000, ), 3.)] * 2)
    assert again == image_slot and [s.data_ptr() for s in pool.storages[:2]] == segments
    assert pool.flags.tolist() == [1, 1, 0] and images.sum() == 6000 and labels.sum() == 8
    assert pool.stack([torch.ones(5000)] * 2)[1] == 2  # the unused slot, not a reallocation
    assert pool.stack([torch.ones(1)])[1] is None  # none free: a fresh segment


def test_held_sample_fields_keep_their_segment():
    loader = DataLoader(packed_samples(16), batch_size=4, num_workers=1,
                        collate_fn=reid_collate)
    kept = []
    for batch in loader:  # only one heatmap view of each batch survives the loop
        kept.append(batch['data_samples'][1].heatmaps)
    for i, heatmaps in enumerate(kept):
        torch.testing.assert_close(heatmaps, packed_samples(16)[4 * i + 1]['data_samples']
                                   .heatmaps, rtol=0, atol=0)



def test_a_worker_batch_pickles_each_stacked_tensor_once(monkeypatch):
    reduced = []
    reduce_tensor = ForkingPickler._extra_reducers[torch.Tensor]
    monkeypatch.setitem(ForkingPickler._extra_reducers, torch.Tensor,
                        lambda tensor: reduced.append(tensor.shape) or reduce_tensor(tensor))
    monkeypatch.setattr(torch_worker, '_worker_info', object())  # as in a worker
    monkeypatch.setattr(shared_batch, '_pools', {})
    received = pickle.loads(ForkingPickler.dumps(reid_collate(packed_samples(8))))
    # the images, labels and heatmaps once each (not once per sample), and the pool's flags
    assert reduced == [(8, 3, 8, 4), (8, ), (8, 16, 6, 3), (shared_batch.POOL_SLOTS, )]
    assert type(received) is dict
    assert_same_batch(received, pseudo_collate(packed_samples(8)))
    for field in ('gt_label', 'heatmaps'):
        assert len(storages(getattr(s, field) for s in received['data_samples'])) == 1
