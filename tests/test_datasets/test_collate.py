"""reid_collate: pseudo_collate's values, with one storage per kind of tensor."""
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from vireid_toolbox.datasets import reid_collate
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
