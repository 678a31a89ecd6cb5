"""The augmentation of draw p of epoch e is a function of (seed, e, p) alone: not of the number of
data-loader workers, of whether they persist, or of a restart (resume) between epochs."""
import os.path as osp
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from vireid_toolbox.datasets import SeededIndex, draw_seed
from vireid_toolbox.utils import register_all_modules

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
SEED = 3
EPOCHS = (0, 1)


@pytest.fixture(scope='module')
def loader_cfg(tiny_sysu_root):
    """The synthetic configs' train loader (pad-crop, flip, channel exchange, heatmaps) on the
    tiny set: one epoch is 4 batches of 2 ids x 2 images x 2 modalities."""
    register_all_modules()
    cfg = Config.fromfile(HCTRI).train_dataloader
    cfg.dataset.data_root = tiny_sysu_root
    for transform in cfg.dataset.pipeline:
        if transform.type == 'LoadCachedHeatmaps':
            transform.cache_dir = osp.join(tiny_sysu_root, 'pose_cache')
    cfg.batch_size = cfg.sampler.batch_size = 8
    cfg.sampler.update(num_ids=2, num_instances=2)
    return cfg


def draws(loader_cfg, epochs, num_workers, persistent_workers):
    """``{epoch: [(dataset index, input tensor, heatmaps), ...]}`` in draw order, epochs run
    on one loader (built as the Runner builds it, with its worker seeding)."""
    cfg = loader_cfg.copy()
    cfg.update(num_workers=num_workers, persistent_workers=persistent_workers)
    loader = Runner.build_dataloader(cfg, seed=SEED)
    out = {}
    for epoch in epochs:
        loader.sampler.set_epoch(epoch)
        indices = list(loader.sampler)
        samples = [s for batch in loader for s in zip(batch['inputs'], batch['data_samples'])]
        out[epoch] = [(int(i), inputs, sample.heatmaps) for i, (inputs, sample) in
                      zip(indices, samples)]
    return out


def assert_same_draws(expected, actual, what):
    assert expected.keys() == actual.keys()
    for epoch in expected:
        assert [d[0] for d in expected[epoch]] == [d[0] for d in actual[epoch]], what
        for position, (want, got) in enumerate(zip(expected[epoch], actual[epoch])):
            assert torch.equal(want[1], got[1]), f'{what}: epoch {epoch}, draw {position}'
            assert np.array_equal(want[2], got[2]), f'{what}: epoch {epoch}, draw {position}'


def test_each_draw_is_augmented_from_seed_epoch_and_position_alone(loader_cfg):
    random.seed(11)
    np.random.seed(11)
    reference = draws(loader_cfg, EPOCHS, num_workers=0, persistent_workers=False)
    # in-process loading leaves the main process's streams (model-side randomness) where they were
    assert random.random() == random.Random(11).random()
    assert np.random.rand() == np.random.RandomState(11).rand()

    # the independent statement of the promise: draw p of epoch e is the pipeline run with the
    # global generators seeded from (seed, e, p), whatever ran before
    register_all_modules()
    dataset = Runner.build_dataloader(loader_cfg.copy(), seed=SEED).dataset
    for epoch in EPOCHS:
        for position, (index, inputs, heatmaps) in enumerate(reference[epoch]):
            np.random.seed(draw_seed(SEED, epoch, position))
            packed = dataset.pipeline(dataset.get_data_info(index))
            assert torch.equal(packed['inputs'], inputs), (epoch, position)
            assert np.array_equal(packed['data_samples'].heatmaps, heatmaps), (epoch, position)

    for num_workers, persistent in ((1, False), (2, True)):
        assert_same_draws(reference, draws(loader_cfg, EPOCHS, num_workers, persistent),
                          f'{num_workers} workers, persistent={persistent}')
    # a resumed run: fresh persistent workers that start in epoch 1
    resumed = draws(loader_cfg, EPOCHS[1:], num_workers=2, persistent_workers=True)
    assert_same_draws({1: reference[1]}, resumed, 'fresh persistent workers in epoch 1')

    # different epochs augment an image differently
    first = [{index: inputs for index, inputs, _ in reversed(reference[e])} for e in EPOCHS]
    common = first[0].keys() & first[1].keys()
    assert len(common) >= 8
    for index in common:
        assert not torch.equal(first[0][index], first[1][index]), f'image {index} repeats'


def test_seeded_index_is_an_index_that_keeps_its_seed_across_processes():
    index = SeededIndex(7, seed=12345)
    assert index == 7 and [10, 11, 12, 13, 14, 15, 16, 17][index] == 17
    copy = pickle.loads(pickle.dumps(index))
    assert type(copy) is SeededIndex and copy == 7 and copy.seed == 12345
    assert draw_seed(0, 1, 2) == int(np.random.SeedSequence([0, 1, 2]).generate_state(1)[0])
    assert len({draw_seed(0, e, p) for e in range(3) for p in range(100)}) == 300
