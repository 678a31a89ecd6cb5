"""A model and a random cross-modality batch from a config, for the analysis tools.

Nothing is downloaded: the ``init_cfg`` of every part and the checkpoint of an
online pose network are dropped, so the weights stay random (their values do
not change FLOPs or step time).
"""
import copy
from typing import Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import ReIDDataSample
from vireid_toolbox.utils.config_check import drop_init_cfg


def random_weights(cfg: Config) -> Config:
    """Drop every checkpoint ``cfg.model`` would load (in place) and return ``cfg``."""
    drop_init_cfg(cfg.model)
    pose = cfg.model.get('pose')
    if pose and 'checkpoint' in pose:
        pose.checkpoint = None
    return cfg


def build_model(cfg: Config) -> torch.nn.Module:
    """The config's model with random weights."""
    return MODELS.build(random_weights(copy.deepcopy(cfg)).model.to_dict())


def input_shape(cfg: Config, shape: Optional[Sequence[int]]) -> Tuple[int, int]:
    """``(height, width)``: ``shape`` if given, else the test pipeline's ``ReIDResize``."""
    if shape:
        return int(shape[0]), int(shape[1])
    loader = cfg.get('test_dataloader') or {}
    for step in loader.get('dataset', {}).get('pipeline', []):
        if step.get('type') == 'ReIDResize':
            width, height = step['scale']
            return int(height), int(width)
    raise ValueError('the config has no ReIDResize in test_dataloader.dataset.pipeline; '
                     'give the input size with --shape H W')


def sampler_ids(cfg: Config, num_ids: Optional[int],
                num_instances: Optional[int]) -> Tuple[int, int]:
    """``(P, K)``: the arguments if given, else the config's training sampler."""
    sampler = (cfg.get('train_dataloader') or {}).get('sampler', {})
    num_ids = num_ids or sampler.get('num_ids')
    num_instances = num_instances or sampler.get('num_instances')
    if not (num_ids and num_instances):
        raise ValueError('the config has no train_dataloader.sampler.num_ids/num_instances; '
                         'give them with --num-ids and --num-instances')
    return int(num_ids), int(num_instances)


def cross_modality_batch(num_ids: int,
                         num_instances: int,
                         shape: Tuple[int, int],
                         heatmaps: Optional[Sequence[int]] = None,
                         seed: int = 0) -> dict:
    """``P`` ids x ``K`` images per modality, as the data loader hands them to ``train_step``.

    Args:
        num_ids (int): Identities ``P``.
        num_instances (int): Images per identity and modality ``K``.
        shape (tuple[int, int]): Image ``(height, width)``.
        heatmaps (Sequence[int], optional): ``(K, h, w)`` of random cached
            heatmaps (float16, as a pose cache stores them, each with a random
            pending ``heatmap_shift`` as a pad-and-crop leaves it) for models
            with a cached pose source.
        seed (int): Seed of the random images.

    Returns:
        dict: ``inputs`` (list of uint8 ``3 x H x W``) and ``data_samples``.
    """
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for modality in (0, 1):
        for pid in range(num_ids):
            for _ in range(num_instances):
                inputs.append(torch.randint(0, 256, (3, *shape), generator=generator,
                                            dtype=torch.uint8))
                sample = ReIDDataSample(metainfo=dict(
                    modality=modality, camera=1 + 2 * modality, img_shape=shape,
                    ori_shape=shape, img_path=f'dummy/{modality}/{pid}.jpg'))
                sample.set_gt_label(pid)
                if heatmaps:
                    sample.heatmaps = torch.rand(*heatmaps, generator=generator).half()
                    sample.heatmap_shift = torch.rand(2, generator=generator) * 4 - 2
                samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
