"""Inference entry points: load a trained model, extract test features of images.

``init_reid_model`` builds the config's model and loads a checkpoint through
torch's restricted unpickler (:func:`allow_mmengine_checkpoint_types`), never
through mmpose's ``init_model`` (which would change the default scope).
``extract_features`` runs the config's *test* pipeline and the model's
``mode='tensor'`` path, so the features are those ``tools/test.py`` evaluates.

Pose heatmaps of plain images: the pipeline's ``LoadCachedHeatmaps`` finds a
row by the image path relative to the data root, which a file outside the data
set does not have. So

* a model without a pose source (HcTri, ADMPFF-Net) or with the online
  ``MMPoseHeatmaps`` source drops ``LoadCachedHeatmaps`` and takes any image
  file or array;
* a model reading cached heatmaps (``CachedHeatmaps``, the PDFENet configs'
  default) keeps it and takes files inside the config's test data root whose
  rows are in the pose cache; anything else is refused with the remedy (the
  same checkpoint with the *online-pose* config, whose pose network is outside
  the checkpoint, or a cache written for the images by
  ``tools/misc/extract_heatmaps.py``). Maps are never
  invented: the synthetic configs' ground-truth cache has no network that
  could compute them for a new image.
"""
import os.path as osp
from typing import List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose

from vireid_toolbox.datasets.transforms import LoadCachedHeatmaps, LoadReIDImage
from vireid_toolbox.models.pose import CachedHeatmaps
from vireid_toolbox.registry import MODELS, TRANSFORMS
from vireid_toolbox.structures import MODALITY_NAMES
from vireid_toolbox.utils.data_roots import merge_following_data_roots
from vireid_toolbox.utils.tool_utils import UserInputError, load_config, load_weights_strictly

ImageInput = Union[str, np.ndarray]
MODALITY_CODES = {name: code for code, name in MODALITY_NAMES.items()}
"""``'visible' -> 0``, ``'infrared' -> 1``."""


def modality_code(modality: Union[int, str]) -> int:
    """The modality code of ``'visible'``/``'infrared'`` or of a code (0/1)."""
    if isinstance(modality, str) and modality in MODALITY_CODES:
        return MODALITY_CODES[modality]
    if not isinstance(modality, str) and int(modality) in MODALITY_NAMES:
        return int(modality)
    raise UserInputError(f'modality {modality!r} is not one of {sorted(MODALITY_CODES)} '
                         f'or the codes {sorted(MODALITY_NAMES)}')


def init_reid_model(config: Union[str, Config],
                    checkpoint: Optional[str],
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a config's model, load its trained weights and switch to eval mode.

    Args:
        config (str | Config): Config file or a loaded config.
        checkpoint (str, optional): Checkpoint written by ``tools/train.py``;
            its ``state_dict`` must match the model exactly. ``None`` keeps
            the freshly built weights (no pretrained download either way).
        device (str): Device to put the model on. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Config overrides (``--cfg-options``).

    Returns:
        nn.Module: The model in eval mode, with the config as ``model.cfg``.
    """
    if isinstance(config, Config):
        cfg = config.copy()
        merge_following_data_roots(cfg, cfg_options)
    else:
        cfg = load_config(config, cfg_options)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_weights_strictly(model, checkpoint)
    model.cfg = cfg
    return model.to(device).eval()


def reads_cached_heatmaps(model: nn.Module) -> bool:
    """Whether the model's pose source is the pipeline's pose cache."""
    return isinstance(getattr(model, 'pose', None), CachedHeatmaps)


def build_test_pipeline(cfg: Config, keep_cached_heatmaps: bool,
                        from_arrays: bool = False) -> Compose:
    """The config's test pipeline, adapted to images outside a data set.

    Args:
        cfg (Config): The model's config.
        keep_cached_heatmaps (bool): Keep ``LoadCachedHeatmaps`` (models that
            read cached heatmaps); otherwise it is dropped.
        from_arrays (bool): The images come as arrays: ``LoadReIDImage`` is
            dropped too.

    Returns:
        Compose: Transforms built in the toolbox's registry (any default scope).
    """
    dropped = () if keep_cached_heatmaps else (LoadCachedHeatmaps, )
    if from_arrays:
        dropped += (LoadReIDImage, )
    transforms = [TRANSFORMS.build(step) for step in cfg.test_dataloader.dataset.pipeline]
    return Compose([t for t in transforms if not isinstance(t, dropped)])


def _pose_cache_rows(cfg: Config, pipeline: Compose, paths: Sequence[str]) -> List[str]:
    """``rel_path`` of every image in the pose cache the pipeline reads; refuse the others."""
    data_root = cfg.test_dataloader.dataset.get('data_root')
    loader = next((t for t in pipeline.transforms if isinstance(t, LoadCachedHeatmaps)), None)
    if loader is None or data_root is None:
        raise UserInputError('the model reads cached heatmaps (model.pose=CachedHeatmaps) but the '
                             'config\'s test pipeline has no LoadCachedHeatmaps with a data_root')
    rel_paths, missing = [], []
    for path in paths:
        # the cache is keyed by the path under the data root, reached directly or through links
        candidates = [osp.relpath(osp.abspath(path), osp.abspath(data_root)),
                      osp.relpath(osp.realpath(path), osp.realpath(data_root))]
        found = [c.replace(osp.sep, '/') for c in candidates
                 if c.replace(osp.sep, '/') in loader.cache.row_of]
        if found:
            rel_paths.append(found[0])
        else:
            missing.append(path)
    if missing:
        raise UserInputError(
            f'{missing[0]} has no heatmaps in the pose cache {loader.cache_dir} '
            f'({len(missing)} of {len(paths)} images): this model reads cached heatmaps, which '
            'only images of its data set have; use the same checkpoint with the *online-pose* '
            'config (the pose network is not part of the checkpoint), or write a cache for the '
            'images with tools/misc/extract_heatmaps.py and point the config\'s data root to them')
    return rel_paths


def _results_of(images: Sequence[ImageInput], modalities: Sequence[int],
                rel_paths: Optional[Sequence[str]]) -> List[dict]:
    """Pipeline inputs: paths for ``LoadReIDImage`` or the arrays as loaded images."""
    results = []
    for index, (image, modality) in enumerate(zip(images, modalities)):
        item = dict(modality=modality, camera=-1)
        if isinstance(image, str):
            item['img_path'] = osp.abspath(image)
            if rel_paths is not None:
                item['rel_path'] = rel_paths[index]
        else:
            img = np.asarray(image)
            if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3
                                                                 and img.shape[2] != 3):
                raise UserInputError(f'image {index}: expected an H x W x 3 (BGR) or H x W '
                                     f'uint8 array, got {img.dtype} of shape {img.shape}')
            if img.ndim == 2:
                img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
            item.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                        img_path=f'<array {index}>')
        results.append(item)
    return results


@torch.no_grad()
def extract_features(model: nn.Module,
                     images: Union[ImageInput, Sequence[ImageInput]],
                     modality: Union[int, str, Sequence[Union[int, str]]],
                     batch_size: int = 32) -> torch.Tensor:
    """L2-normalised test features of images, as ``tools/test.py`` computes them.

    Args:
        model (nn.Module): A model from :func:`init_reid_model` (it carries ``cfg``).
        images (str | np.ndarray | Sequence): Image file paths, or ``H x W x 3``
            BGR uint8 arrays (as ``cv2.imread`` returns them); not mixed.
        modality (int | str | Sequence): ``'visible'``/``'infrared'`` (or 0/1)
            for all images, or one per image. Dual-stream backbones route by it.
        batch_size (int): Images per forward pass. Defaults to 32.

    Returns:
        torch.Tensor: ``N x D`` float features on the CPU, unit L2 norm.
    """
    if isinstance(images, (str, np.ndarray)):
        images = [images]
    images = list(images)
    if not images:
        raise UserInputError('extract_features: no images given')
    as_paths = [isinstance(image, str) for image in images]
    if any(as_paths) and not all(as_paths):
        raise UserInputError('extract_features: give image paths or arrays, not a mix')
    if isinstance(modality, (str, int)):
        modalities = [modality_code(modality)] * len(images)
    else:
        modalities = [modality_code(m) for m in modality]
        if len(modalities) != len(images):
            raise UserInputError(f'extract_features: {len(modalities)} modalities for '
                                 f'{len(images)} images (give one, or one per image)')
    if all(as_paths):
        missing = [path for path in images if not osp.isfile(path)]
        if missing:
            raise UserInputError(f'image {missing[0]} does not exist')
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        raise UserInputError('extract_features: the model carries no config (model.cfg); '
                             'build it with init_reid_model')
    cached = reads_cached_heatmaps(model)
    if cached and not all(as_paths):
        raise UserInputError('this model reads cached heatmaps (model.pose=CachedHeatmaps): it '
                             'needs image files of its data set, not arrays')
    pipeline = build_test_pipeline(cfg, keep_cached_heatmaps=cached, from_arrays=not all(as_paths))
    rel_paths = _pose_cache_rows(cfg, pipeline, images) if cached else None
    results = _results_of(images, modalities, rel_paths)

    features = []
    for start in range(0, len(results), batch_size):
        packed = [pipeline(dict(item)) for item in results[start:start + batch_size]]
        batch = model.data_preprocessor(
            dict(inputs=[p['inputs'] for p in packed],
                 data_samples=[p['data_samples'] for p in packed]), False)
        feats = model(batch['inputs'], batch['data_samples'], mode='tensor')
        features.append(feats.float().cpu())
    return torch.cat(features)
