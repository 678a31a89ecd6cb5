"""Online pose source: a frozen mmpose top-down heatmap network."""
import os.path as osp
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.utils import get_installed_path

from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils.checkpoint import (file_sha256, load_state_dict_strictly, read_checkpoint,
                                             state_dict_of)

IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


def resolve_mmpose_config(config: str) -> str:
    """Path of an mmpose config, given as a file or as ``mmpose::<path under configs/>``.

    ``mmpose::`` configs are read from the ``.mim/configs`` folder shipped in
    the mmpose wheel, so they resolve offline (mmengine's ``get_config``
    would try to pip-install a missing package instead).
    """
    if config.startswith('mmpose::'):
        path = osp.join(get_installed_path('mmpose'), '.mim', 'configs', config[len('mmpose::'):])
    else:
        path = config
    if not osp.isfile(path):
        raise FileNotFoundError(f'pose config {config!r} not found (looked for {path})')
    return path


def local_checkpoint(checkpoint: str) -> str:
    """Local file of a checkpoint path or URL (URLs go to torch hub's cache once)."""
    if checkpoint.startswith(('http://', 'https://')):
        path = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(checkpoint))
        if not osp.isfile(path):
            torch.hub.download_url_to_file(checkpoint, path)
        return path
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'pose checkpoint {checkpoint} does not exist')
    return checkpoint


def heatmap_keypoints(heatmaps: np.ndarray, image_size: Sequence[int]) -> np.ndarray:
    """Arg-max keypoints of ``K x h x w`` heatmaps covering an image.

    Args:
        heatmaps (np.ndarray): ``K x h x w`` maps covering the whole image.
        image_size (Sequence[int]): ``(width, height)`` of the image.

    Returns:
        np.ndarray: ``K x 3`` float32 of x, y in image pixels and the peak
        value as score (the inverse of ``render_gaussian_heatmaps``'s
        pixel-centre mapping).
    """
    num_joints, hm_h, hm_w = heatmaps.shape
    flat = heatmaps.reshape(num_joints, -1)
    peak = flat.argmax(axis=1)
    img_w, img_h = image_size
    xs = (peak % hm_w + 0.5) * img_w / hm_w - 0.5
    ys = (peak // hm_w + 0.5) * img_h / hm_h - 0.5
    return np.stack([xs, ys, flat.max(axis=1)], axis=1).astype(np.float32)


@MODELS.register_module()
class MMPoseHeatmaps(nn.Module):
    """Heatmaps of a frozen mmpose top-down model, computed on the batch.

    The model is built from an mmpose config with ``_scope_='mmpose'``
    through mmengine's registry (mmpose's ``init_model`` would change the
    global default scope), loaded from ``checkpoint`` on first use (building
    a config never reads or downloads weights), and kept
    frozen: it is a plain attribute, not a registered sub-module, so it is
    outside ``state_dict``, the optimizer, DDP, ``init_weights`` and
    ``train()``; it stays in eval mode and runs without gradients. Moving
    this module (``.to``, ``.cuda``) moves it too.

    The batch arrives normalised by the ReID data preprocessor
    (``input_mean``/``input_std``, RGB when ``input_rgb``); it is brought
    back to pixels, resized to ``input_size`` (the whole image is the person
    box, so the maps cover the whole image) and normalised with the pose
    model's own ``data_preprocessor`` statistics and channel order. The
    network's negative regression noise is clipped: a heatmap is a
    non-negative likelihood.

    Args:
        config (str): mmpose config file or ``mmpose::<path>`` (e.g.
            ``mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py``).
        checkpoint (str, optional): Checkpoint path or URL; ``None`` keeps
            the network randomly initialised (tests only).
        input_size (Sequence[int]): ``(width, height)`` fed to the network;
            HRNet and SimpleBaseline need both divisible by 32. Defaults to
            ``(96, 256)``: a person about as tall as in MPII training crops,
            with roughly the 3:1 aspect of ReID images.
        input_mean (Sequence[float]): Mean of the ReID data preprocessor.
        input_std (Sequence[float]): Std of the ReID data preprocessor.
        input_rgb (bool): Whether the ReID batch is RGB (the preprocessor's
            ``bgr_to_rgb=True``). Defaults to True.
    """

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str] = None,
                 input_size: Sequence[int] = (96, 256),
                 input_mean: Sequence[float] = IMAGENET_MEAN,
                 input_std: Sequence[float] = IMAGENET_STD,
                 input_rgb: bool = True):
        super().__init__()
        self.input_size: Tuple[int, int] = (int(input_size[0]), int(input_size[1]))
        model_cfg = Config.fromfile(resolve_mmpose_config(config)).model
        net = MMENGINE_MODELS.build(dict(model_cfg, _scope_='mmpose'))
        net.eval().requires_grad_(False)
        # a plain attribute, so that nn.Module never registers the network (and init_weights,
        # which would fetch the backbone's ImageNet weights, is never called on it)
        self.__dict__['pose_net'] = net

        preprocessor = model_cfg.data_preprocessor
        self.input_rgb = input_rgb
        self.swap_channels = input_rgb != bool(preprocessor.get('bgr_to_rgb', False))
        for name, values in (('input_mean', input_mean), ('input_std', input_std),
                             ('pose_mean', preprocessor.mean), ('pose_std', preprocessor.std)):
            self.register_buffer(name, torch.tensor(values, dtype=torch.float32).view(1, 3, 1, 1),
                                 persistent=False)
        self.config = config
        self.checkpoint = checkpoint
        self._checkpoint_file: Optional[str] = None

    def load_weights(self) -> None:
        """Load the checkpoint once, on first use, so that building never downloads.

        Strictly: a checkpoint with a missing or unexpected key (e.g. of another
        architecture) would otherwise leave part of the network random, silently.
        """
        if self.checkpoint is None or self._checkpoint_file is not None:
            return
        checkpoint_file = local_checkpoint(self.checkpoint)
        state_dict = state_dict_of(read_checkpoint(checkpoint_file), checkpoint_file)
        load_state_dict_strictly(self.pose_net, state_dict, f'pose checkpoint {checkpoint_file}',
                                 f'the network of {self.config}')
        self.pose_net.eval().requires_grad_(False)
        self._checkpoint_file = checkpoint_file

    @property
    def pose_model_info(self) -> dict:
        """What a pose cache records about this model (see ``pose_cache``)."""
        self.load_weights()
        return dict(
            name='mmpose',
            config=self.config,
            checkpoint=osp.basename(self.checkpoint) if self.checkpoint else None,
            checkpoint_sha256=file_sha256(self._checkpoint_file) if self._checkpoint_file else None,
            input_size=list(self.input_size))

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.pose_net._apply(fn, *args, **kwargs)
        return self

    def unnormalize(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pixels (0-255, the batch's channel order) of a ReID-normalised batch."""
        return inputs * self.input_std + self.input_mean

    def prepare(self, pixels: torch.Tensor) -> torch.Tensor:
        """Network input of ``N x 3 x H x W`` pixels: resized and pose-normalised."""
        if self.swap_channels:
            pixels = pixels.flip(1)
        width, height = self.input_size
        if tuple(pixels.shape[-2:]) != (height, width):
            pixels = F.interpolate(pixels, size=(height, width), mode='bilinear',
                                   align_corners=False)
        return (pixels - self.pose_mean) / self.pose_std

    @torch.no_grad()
    def predict_heatmaps(self, net_inputs: torch.Tensor) -> torch.Tensor:
        """Run the frozen network on prepared inputs: ``N x K x h x w``."""
        self.load_weights()
        self.pose_net.eval()
        heatmaps = self.pose_net(net_inputs, None, mode='tensor')
        return heatmaps.float().clamp_(min=0)

    def forward(self, inputs: torch.Tensor, data_samples=None, flipped: bool = False) -> torch.Tensor:
        """Heatmaps of the (possibly mirrored) batch itself; ``flipped`` needs no handling."""
        return self.predict_heatmaps(self.prepare(self.unnormalize(inputs.float())))
