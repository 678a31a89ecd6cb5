"""Adaptive detail mask generation (ADMG) of PDFENet, eq. 1-5 and Table 5."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from vireid_toolbox.registry import MODELS

POSITIONS = ('top', 'mid', 'low')
MODES = ('adaptive', 'part')


def adaptive_max_pool_static(maps: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``F.adaptive_max_pool2d`` to a static size, in operations the ONNX exporter accepts.

    The exporter refuses adaptive pooling to a traced size and to a size that
    does not divide the input (e.g. HRNet's 64 x 24 heatmaps to PDFENet's
    24 x 8 map). The spatial sizes are static (only the batch varies), so
    they are read as integers. Divisible sizes pool with one ``max_pool2d``;
    others take the maximum over PyTorch's adaptive windows (output row ``i``
    covers rows ``floor(i * H / h)`` to ``ceil((i + 1) * H / h)``), rows then
    columns. Both give exactly ``F.adaptive_max_pool2d``'s values.

    Args:
        maps (Tensor): ``N x C x H x W`` maps.
        size (Sequence[int]): Output ``(h, w)``.

    Returns:
        Tensor: ``N x C x h x w`` window maxima.
    """
    in_h, in_w = int(maps.shape[-2]), int(maps.shape[-1])
    out_h, out_w = int(size[0]), int(size[1])
    if in_h % out_h == 0 and in_w % out_w == 0:
        kernel = (in_h // out_h, in_w // out_w)
        return F.max_pool2d(maps, kernel, kernel)
    for dim, (length, out) in ((2, (in_h, out_h)), (3, (in_w, out_w))):
        windows = [(i * length // out, -(-(i + 1) * length // out)) for i in range(out)]
        maps = torch.cat([maps.narrow(dim, start, end - start).amax(dim, keepdim=True)
                          for start, end in windows], dim=dim)
    return maps


@MODELS.register_module()
class ADMG(nn.Module):
    """Detail feature maps of the top, middle and lower body.

    A position in ``'adaptive'`` mode (Table 5's "A") masks the global map
    with its joint group's heatmaps weighted by their credibility:
    heatmaps are max-pooled to the feature size, ``W = sigmoid(Linear(
    GAP(concat(F_g, H))))`` scores every selected joint (eq. 1),
    ``M = sum_j w_j H_j`` over the group (eq. 2-3) and ``F = M * F_g``
    (eq. 4-5). A position in ``'part'`` mode ("P") is the corresponding third
    of ``F_g`` along the height (part pooling). The paper's best model is
    ``top='adaptive', mid='adaptive', low='part'``.

    Joint indices follow mmpose's MPII order. ``low_joints`` (used only when
    ``low='adaptive'``, Table 5's AAA row) is our choice; the paper names no
    lower-body group: the lower-body joints not in ``mid_joints``.

    Args:
        in_channels (int): Channels ``C`` of the backbone map.
        num_joints (int): Channels of the pose heatmaps. Defaults to 16 (MPII).
        top_joints (Sequence[int]): Group of the top mask (SPEC: thorax,
            upper-neck, head-top, l-shoulder, r-shoulder).
        mid_joints (Sequence[int]): Group of the middle mask (SPEC: l-hip,
            l-elbow, r-elbow, l-wrist).
        low_joints (Sequence[int]): Group of the lower mask.
        top (str): ``'adaptive'`` or ``'part'``. Defaults to ``'adaptive'``.
        mid (str): ``'adaptive'`` or ``'part'``. Defaults to ``'adaptive'``.
        low (str): ``'adaptive'`` or ``'part'``. Defaults to ``'part'``.

    Returns (of ``forward``):
        tuple[Tensor]: ``(F_g, F_top, F_mid, F_low)`` feature maps.
    """

    def __init__(self,
                 in_channels: int,
                 num_joints: int = 16,
                 top_joints: Sequence[int] = (7, 8, 9, 13, 12),
                 mid_joints: Sequence[int] = (3, 14, 11, 15),
                 low_joints: Sequence[int] = (0, 1, 2, 4, 5, 6),
                 top: str = 'adaptive',
                 mid: str = 'adaptive',
                 low: str = 'part'):
        super().__init__()
        self.num_joints = num_joints
        self.modes = dict(top=top, mid=mid, low=low)
        groups = dict(top=top_joints, mid=mid_joints, low=low_joints)
        self.groups: Dict[str, Tuple[int, ...]] = {}
        for position in POSITIONS:
            if self.modes[position] not in MODES:
                raise ValueError(f'ADMG: {position}={self.modes[position]!r}, expected one of {MODES}')
            if self.modes[position] == 'adaptive':
                joints = tuple(int(j) for j in groups[position])
                bad = [j for j in joints if not 0 <= j < num_joints]
                if not joints or bad:
                    raise ValueError(f'ADMG: {position}_joints={list(groups[position])} must be a '
                                     f'non-empty list of joint indices below num_joints={num_joints}')
                self.groups[position] = joints
        self.selected = [j for joints in self.groups.values() for j in joints]
        self.credibility = (
            nn.Linear(in_channels + len(self.selected), len(self.selected))
            if self.selected else None)

    @property
    def needs_heatmaps(self) -> bool:
        """Whether some position is adaptive (and the model needs a pose source)."""
        return bool(self.selected)

    def generate_masks(self, feat: torch.Tensor, heatmaps: torch.Tensor
                       ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Credibility of the selected joints and one mask per adaptive position.

        Args:
            feat (Tensor): Global map ``F_g``, ``N x C x Hg x Wg``.
            heatmaps (Tensor): Pose heatmaps ``N x K x h x w``.

        Returns:
            tuple: weights ``N x J`` (in the order of :attr:`selected`) and a
            dict ``position -> N x Hg x Wg`` mask.
        """
        if heatmaps.dim() != 4 or heatmaps.shape[:2] != (feat.shape[0], self.num_joints):
            raise ValueError(f'ADMG expects heatmaps of shape N x {self.num_joints} x h x w with '
                             f'N={feat.shape[0]}, got {tuple(heatmaps.shape)}')
        pooled = adaptive_max_pool_static(heatmaps[:, self.selected].to(feat.dtype),
                                          feat.shape[-2:])
        descriptor = torch.cat([feat.mean(dim=(2, 3)), pooled.mean(dim=(2, 3))], dim=1)
        weights = self.credibility(descriptor).sigmoid()
        masks, start = {}, 0
        for position, joints in self.groups.items():
            group = slice(start, start + len(joints))
            masks[position] = torch.einsum('nj,njhw->nhw', weights[:, group], pooled[:, group])
            start += len(joints)
        return weights, masks

    @staticmethod
    def part_rows(height: int, index: int, num_parts: int = 3) -> slice:
        """Rows of the ``index``-th of ``num_parts`` horizontal stripes."""
        return slice(round(index * height / num_parts), round((index + 1) * height / num_parts))

    def forward(self, feats: Union[torch.Tensor, Sequence[torch.Tensor]],
                heatmaps: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Return ``(F_g, F_top, F_mid, F_low)`` for a backbone output."""
        if isinstance(feats, (tuple, list)):
            if len(feats) != 1:
                raise ValueError(f'ADMG expects one backbone branch, got {len(feats)} feature maps')
            feats = feats[0]
        masks = {}
        if self.needs_heatmaps:
            if heatmaps is None:
                raise ValueError(f'ADMG with {self.modes} needs pose heatmaps: configure model.pose '
                                 '(MMPoseHeatmaps or CachedHeatmaps)')
            _, masks = self.generate_masks(feats, heatmaps)
        details = []
        for index, position in enumerate(POSITIONS):
            if self.modes[position] == 'adaptive':
                details.append(masks[position].unsqueeze(1) * feats)
            else:
                # the map height is static: an int even when traced for ONNX export
                details.append(feats[:, :, self.part_rows(int(feats.shape[2]), index)])
        return (feats, *details)
