"""Drawing of ADMG's detail masks and joint credibility weights (PDFENet Fig. 2)."""
from typing import Dict, Sequence

import cv2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MPII_JOINT_NAMES = ('r-ankle', 'r-knee', 'r-hip', 'l-hip', 'l-knee', 'l-ankle', 'pelvis', 'thorax',
                    'upper-neck', 'head-top', 'r-wrist', 'r-elbow', 'r-shoulder', 'l-shoulder',
                    'l-elbow', 'l-wrist')
"""Joint names in mmpose's MPII order (SPEC, pose source)."""
GROUP_COLORS = dict(top='tab:red', mid='tab:blue', low='tab:green')


def overlay_mask(image_rgb: np.ndarray, mask: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a mask (any size, any range), resized to the image, as a jet heat map.

    Args:
        image_rgb (np.ndarray): ``H x W x 3`` uint8 RGB image.
        mask (np.ndarray): ``h x w`` mask; shown relative to its own maximum.
        alpha (float): Weight of the heat map. Defaults to 0.5.

    Returns:
        np.ndarray: ``H x W x 3`` uint8 RGB image.
    """
    height, width = image_rgb.shape[:2]
    mask = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    scaled = np.clip(mask / max(float(mask.max()), 1e-12), 0, 1)
    heat = cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_JET)
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(image_rgb, 1 - alpha, heat, alpha, 0)


def draw_admg(image_rgb: np.ndarray, masks: Dict[str, np.ndarray], weights: Sequence[float],
              groups: Dict[str, Sequence[int]], title: str = '') -> np.ndarray:
    """One figure: the image, each ADMG mask over it, and the per-joint credibility.

    Args:
        image_rgb (np.ndarray): ``H x W x 3`` uint8 RGB image (as the model saw it).
        masks (dict): ``position -> h x w`` mask (ADMG's ``M_top``, ``M_mid``...).
        weights (Sequence[float]): Credibility of every selected joint, in the
            order of the groups' joints.
        groups (dict): ``position -> joint indices`` of the adaptive positions.
        title (str): Figure title (e.g. the image name).

    Returns:
        np.ndarray: The rendered figure, ``h x w x 3`` uint8 RGB.
    """
    columns = 2 + len(masks)
    figure = Figure(figsize=(2.2 * columns + 1.5, 4.2), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.subplots(1, columns, gridspec_kw=dict(width_ratios=[1] * (columns - 1) + [2]))
    axes[0].imshow(image_rgb)
    axes[0].set_title('image')
    for ax, (position, mask) in zip(axes[1:], masks.items()):
        ax.imshow(overlay_mask(image_rgb, mask))
        ax.set_title(f'M_{position}')
    for ax in axes[:-1]:
        ax.axis('off')
    names, colors = [], []
    for position, joints in groups.items():
        names.extend(MPII_JOINT_NAMES[j] for j in joints)
        colors.extend([GROUP_COLORS[position]] * len(joints))
    bars = axes[-1]
    bars.barh(range(len(names)), list(weights), color=colors)
    bars.set_yticks(range(len(names)), names, fontsize=7)
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.set_title('credibility w_j')
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
