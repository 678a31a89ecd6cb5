"""Geometric and photometric augmentations of ReID images.

Geometric transforms (:class:`ReIDResize`, :class:`ReIDPadCrop`,
:class:`ReIDRandomFlip`) keep two optional companions aligned with the image:

* ``heatmaps`` (``K x h x w``) with ``heatmap_shift`` (``(dx, dy)`` in map
  pixels, absent meaning none): the maps aligned with the current image's
  field of view are ``heatmaps`` translated by ``heatmap_shift``
  (:func:`~vireid_toolbox.structures.aligned_heatmaps`). Resizing the image
  leaves both unchanged (the maps keep their own resolution), a pad-and-crop
  adds its translation, scaled to the map resolution, to the shift, and a flip
  mirrors the maps, swaps left/right joints and mirrors the shift. The
  translation itself is applied batch-wise by the model's pose source
  (:func:`~vireid_toolbox.structures.shift_heatmaps`), not per sample in the
  data-loader worker, where it cost about as much as decoding the image;
* ``keypoints`` (``K x 3``: x, y, score): pixel coordinates of the current
  image, moved the same way (scores are left unchanged).

Coordinates follow the pixel-centre convention of ``render_gaussian_heatmaps``:
pixel ``i`` covers ``[i - 0.5, i + 0.5)``.

Random choices use numpy's global generator inside ``cache_randomness``
methods, as mmcv's own transforms do, so mmengine's seeding makes them
reproducible.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS, flip_joint_order
from vireid_toolbox.registry import TRANSFORMS

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
CAJ_ERASE_VALUE_RGB = (0.4914, 0.4822, 0.4465)
"""CAJ's erasing value, given in ImageNet-normalised units of the RGB tensor."""


def _normalised_to_bgr_pixels(values_rgb: Sequence[float]) -> Tuple[float, float, float]:
    """Pixel values (BGR, 0-255) that ImageNet normalisation maps onto ``values_rgb``."""
    rgb = [(v * s + m) * 255 for v, s, m in zip(values_rgb, IMAGENET_STD_RGB, IMAGENET_MEAN_RGB)]
    return tuple(rgb[::-1])


def _check_heatmaps(results: dict, transform: str) -> None:
    """Raise one clear error when heatmaps / keypoints have the wrong shape."""
    heatmaps, keypoints = results.get('heatmaps'), results.get('keypoints')
    if heatmaps is not None and np.ndim(heatmaps) != 3:
        raise ValueError(f'{transform}: heatmaps of {results.get("img_path")} must be '
                         f'K x h x w, got shape {np.shape(heatmaps)}')
    if keypoints is not None and (np.ndim(keypoints) != 2 or np.shape(keypoints)[1] != 3):
        raise ValueError(f'{transform}: keypoints of {results.get("img_path")} must be K x 3, '
                         f'got shape {np.shape(keypoints)}')


def _image_size(results: dict) -> Tuple[int, int]:
    """``(height, width)`` of the current image."""
    if 'img' not in results:
        raise KeyError(f'no "img" in the results of {results.get("img_path")}; '
                       f'put LoadReIDImage first')
    return results['img'].shape[:2]


@TRANSFORMS.register_module()
class ReIDResize(BaseTransform):
    """Resize the image to a fixed ``(width, height)`` (aspect ratio not kept).

    ReID crops are resized to the network's input size regardless of their
    shape. Heatmaps cover the field of view, which a resize keeps: they are left
    as they are; keypoints are scaled.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, ``keypoints``.
    Added keys: ``scale_factor`` (``(w_ratio, h_ratio)``).

    Args:
        scale (Sequence[int]): Target ``(width, height)``, e.g. ``(144, 288)``.
        interpolation (str): mmcv interpolation name. Defaults to 'bilinear'.
    """

    def __init__(self, scale: Sequence[int], interpolation: str = 'bilinear'):
        if len(scale) != 2 or not all(isinstance(v, int) and v > 0 for v in scale):
            raise ValueError(f'ReIDResize: scale must be (width, height), two positive ints, '
                             f'got {scale!r}')
        self.scale = tuple(scale)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        _check_heatmaps(results, 'ReIDResize')
        height, width = _image_size(results)
        new_w, new_h = self.scale
        results['img'] = mmcv.imresize(results['img'], self.scale,
                                       interpolation=self.interpolation)
        results['img_shape'] = (new_h, new_w)
        ratio = (new_w / width, new_h / height)
        results['scale_factor'] = ratio
        if results.get('keypoints') is not None:
            keypoints = np.array(results['keypoints'], dtype=np.float32)
            keypoints[:, :2] = (keypoints[:, :2] + 0.5) * ratio - 0.5
            results['keypoints'] = keypoints
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class ReIDPadCrop(BaseTransform):
    """Zero-pad every side by ``padding`` pixels, then crop a random window of the original size.

    The net effect is a random translation by up to ``padding`` pixels with
    zeros flowing in (torchvision ``Pad`` + ``RandomCrop`` as used by the VI-ReID
    reference code). The same amount, expressed in heatmap pixels, is added to
    the heatmaps' pending ``heatmap_shift`` (the maps are moved later, batch-wise,
    by the model's pose source; two pad-crops thus interpolate the maps once);
    keypoints are moved by the pixel offset.

    Required keys: ``img``. Modified keys: ``img``, ``heatmap_shift`` (added
    when there are heatmaps), ``keypoints``.
    Added keys: ``crop_offset`` (``(dx, dy)`` translation applied to the content).

    Args:
        padding (int): Pixels of zero padding on each side. Defaults to 10.
        pad_val (int | Sequence[int]): Padding value (per channel). Defaults to 0.
    """

    def __init__(self, padding: int = 10, pad_val: Union[int, Sequence[int]] = 0):
        if not isinstance(padding, int) or padding < 0:
            raise ValueError(f'ReIDPadCrop: padding must be a non-negative int, got {padding!r}')
        self.padding = padding
        self.pad_val = pad_val

    @cache_randomness
    def _random_offset(self) -> Tuple[int, int]:
        """Top-left corner of the crop inside the padded image."""
        x, y = np.random.randint(0, 2 * self.padding + 1, size=2)
        return int(x), int(y)

    def transform(self, results: dict) -> dict:
        _check_heatmaps(results, 'ReIDPadCrop')
        height, width = _image_size(results)
        x, y = self._random_offset()
        dx, dy = self.padding - x, self.padding - y
        img = results['img']
        top, left, bottom, right = max(dy, 0), max(dx, 0), max(-dy, 0), max(-dx, 0)
        shown = img[bottom:max(height - top, 0), right:max(width - left, 0)]
        if shown.size:  # the window in one pass: what it shows of the image, bordered
            window = cv2.copyMakeBorder(shown, top, bottom, left, right, cv2.BORDER_CONSTANT,
                                        value=self.pad_val)
        else:  # the window shows padding only (a padding larger than the image)
            window = cv2.copyMakeBorder(img, self.padding, self.padding, self.padding,
                                        self.padding, cv2.BORDER_CONSTANT,
                                        value=self.pad_val)[y:y + height, x:x + width]
        results['img'] = window.reshape(img.shape)  # cv2 drops a trailing 1-channel axis
        results['crop_offset'] = (dx, dy)
        heatmaps = results.get('heatmaps')
        if heatmaps is not None:
            hm_h, hm_w = heatmaps.shape[1:]
            shift_x, shift_y = results.get('heatmap_shift', (0.0, 0.0))
            results['heatmap_shift'] = (shift_x + dx * hm_w / width, shift_y + dy * hm_h / height)
        if results.get('keypoints') is not None:
            keypoints = np.array(results['keypoints'], dtype=np.float32)
            keypoints[:, :2] += (dx, dy)
            results['keypoints'] = keypoints
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(padding={self.padding}, pad_val={self.pad_val})'


@TRANSFORMS.register_module()
class ReIDRandomFlip(BaseTransform):
    """Mirror the image left-right with probability ``prob``.

    Heatmaps are mirrored and their channels reordered so that channel ``j``
    still holds joint ``j`` (a mirrored left wrist looks like a right wrist);
    keypoints are mirrored and reordered the same way. A pending
    ``heatmap_shift`` is mirrored too (its ``dx`` negated).

    Required keys: ``img``. Modified keys: ``img``, ``heatmaps``, ``heatmap_shift``,
    ``keypoints``.
    Added keys: ``flip`` (bool), ``flip_direction`` (``'horizontal'`` or None).

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.
        flip_pairs (Sequence[Sequence[int]]): Left/right joint index pairs.
            Defaults to the MPII pairs.
    """

    def __init__(self, prob: float = 0.5,
                 flip_pairs: Sequence[Sequence[int]] = MPII_FLIP_PAIRS):
        if not 0 <= prob <= 1:
            raise ValueError(f'ReIDRandomFlip: prob must be in [0, 1], got {prob!r}')
        self.prob = prob
        self.flip_pairs = tuple(tuple(pair) for pair in flip_pairs)

    @cache_randomness
    def _do_flip(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def _joint_order(self, num_joints: int, results: dict) -> list:
        largest = max(max(pair) for pair in self.flip_pairs) if self.flip_pairs else -1
        if largest >= num_joints:
            raise ValueError(f'ReIDRandomFlip: flip_pairs name joint {largest} but '
                             f'{results.get("img_path")} has {num_joints} joints')
        return flip_joint_order(num_joints, self.flip_pairs)

    def transform(self, results: dict) -> dict:
        _check_heatmaps(results, 'ReIDRandomFlip')
        _, width = _image_size(results)
        flip = self._do_flip()
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        img = results['img']
        results['img'] = cv2.flip(img, 1).reshape(img.shape)  # cv2 drops a trailing 1-channel axis
        heatmaps = results.get('heatmaps')
        if heatmaps is not None:
            order = self._joint_order(len(heatmaps), results)
            # rows of all maps mirrored in one OpenCV call, then the joints reordered
            mirrored = cv2.flip(np.ascontiguousarray(heatmaps).reshape(-1, heatmaps.shape[2]), 1)
            results['heatmaps'] = mirrored.reshape(heatmaps.shape)[order]
            if 'heatmap_shift' in results:  # mirroring a shifted map = shifting the mirror back
                shift_x, shift_y = results['heatmap_shift']
                results['heatmap_shift'] = (-shift_x, shift_y)
        if results.get('keypoints') is not None:
            keypoints = np.array(results['keypoints'], dtype=np.float32)
            keypoints[:, 0] = width - 1 - keypoints[:, 0]
            results['keypoints'] = keypoints[self._joint_order(len(keypoints), results)]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob}, flip_pairs={self.flip_pairs})'


@TRANSFORMS.register_module()
class ReIDRandomErasing(BaseTransform):
    """Random erasing (Zhong et al., AAAI 2020) of one rectangle, with probability ``prob``.

    Up to ``max_attempts`` times, draw an area fraction in ``area_ratio`` and an
    aspect ratio in ``[min_aspect, 1 / min_aspect]``; the first rectangle that
    fits strictly inside the image is filled, with random pixel values
    (``mode='rand'``) or the constant ``fill`` per channel (``mode='const'``).
    Photometric only: heatmaps and keypoints are untouched.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): Probability of erasing. Defaults to 0.5.
        area_ratio (Sequence[float]): Range of the erased area fraction.
            Defaults to (0.02, 0.4).
        min_aspect (float): Smallest height / width ratio. Defaults to 0.3.
        mode (str): ``'rand'`` (uniform random pixels) or ``'const'``.
        fill (Sequence[float]): Per-channel value for ``'const'`` (image channel
            order, 0-255). Defaults to the CAJ value (see :class:`ChannelRandomErasing`).
        max_attempts (int): Draws before giving up. Defaults to 100.
    """

    def __init__(self,
                 prob: float = 0.5,
                 area_ratio: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3,
                 mode: str = 'rand',
                 fill: Sequence[float] = _normalised_to_bgr_pixels(CAJ_ERASE_VALUE_RGB),
                 max_attempts: int = 100):
        if not 0 <= prob <= 1:
            raise ValueError(f'{type(self).__name__}: prob must be in [0, 1], got {prob!r}')
        if not 0 < area_ratio[0] <= area_ratio[1] < 1:
            raise ValueError(f'{type(self).__name__}: area_ratio must satisfy '
                             f'0 < low <= high < 1, got {area_ratio!r}')
        if not 0 < min_aspect <= 1:
            raise ValueError(f'{type(self).__name__}: min_aspect must be in (0, 1], '
                             f'got {min_aspect!r}')
        if mode not in ('rand', 'const'):
            raise ValueError(f'{type(self).__name__}: mode must be "rand" or "const", '
                             f'got {mode!r}')
        self.prob = prob
        self.area_ratio = tuple(area_ratio)
        self.min_aspect = min_aspect
        self.mode = mode
        self.fill = tuple(fill)
        self.max_attempts = max_attempts

    @cache_randomness
    def _random_box(self, height: int, width: int) -> Optional[Tuple[int, int, int, int]]:
        """``(x, y, w, h)`` of the rectangle to erase, or None."""
        if np.random.rand() >= self.prob:
            return None
        for _ in range(self.max_attempts):
            area = np.random.uniform(*self.area_ratio) * height * width
            aspect = np.random.uniform(self.min_aspect, 1 / self.min_aspect)
            h = int(round(math.sqrt(area * aspect)))
            w = int(round(math.sqrt(area / aspect)))
            if w < width and h < height:
                y = np.random.randint(0, height - h + 1)
                x = np.random.randint(0, width - w + 1)
                return int(x), int(y), w, h
        return None

    def transform(self, results: dict) -> dict:
        height, width = _image_size(results)
        box = self._random_box(height, width)
        if box is None:
            return results
        x, y, w, h = box
        img = results['img'].copy()
        region = img[y:y + h, x:x + w]
        if self.mode == 'rand':
            region[...] = np.random.randint(0, 256, region.shape)
        else:
            channels = 1 if img.ndim == 2 else img.shape[2]
            if len(self.fill) != channels:
                raise ValueError(f'{type(self).__name__}: fill has {len(self.fill)} values '
                                 f'but {results.get("img_path")} has {channels} channels')
            region[...] = np.round(np.asarray(self.fill)).reshape(
                (channels,) if img.ndim == 3 else ()).astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, area_ratio={self.area_ratio}, '
                f'min_aspect={self.min_aspect}, mode={self.mode!r}, fill={self.fill})')


@TRANSFORMS.register_module()
class ChannelRandomErasing(ReIDRandomErasing):
    """CAJ's channel random erasing (Ye et al., ICCV 2021): random erasing with CAJ's fill.

    CAJ erases on the ImageNet-normalised RGB tensor with the values
    ``(0.4914, 0.4822, 0.4465)``; this transform runs before normalisation, so
    its default ``fill`` is the BGR pixel value that normalisation maps onto
    exactly those values. Arguments as :class:`ReIDRandomErasing`.
    """

    def __init__(self, prob: float = 0.5, area_ratio: Sequence[float] = (0.02, 0.4),
                 min_aspect: float = 0.3,
                 fill: Sequence[float] = _normalised_to_bgr_pixels(CAJ_ERASE_VALUE_RGB),
                 max_attempts: int = 100):
        super().__init__(prob=prob, area_ratio=area_ratio, min_aspect=min_aspect,
                         mode='const', fill=fill, max_attempts=max_attempts)


def _grey(img: np.ndarray) -> np.ndarray:
    """Luma of a BGR image (0.2989 R + 0.587 G + 0.114 B, as CAJ), as uint8."""
    grey = img[..., 2] * 0.2989 + img[..., 1] * 0.587 + img[..., 0] * 0.114
    return np.clip(np.round(grey), 0, 255).astype(img.dtype)


def _check_colour(results: dict, transform: str) -> np.ndarray:
    img = results.get('img')
    if img is None or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'{transform} needs a 3-channel image, got shape '
                         f'{None if img is None else img.shape} for {results.get("img_path")}')
    return img


@TRANSFORMS.register_module()
class ChannelExchange(BaseTransform):
    """CAJ's channel exchange (Ye et al., ICCV 2021): one colour channel copied to all three.

    Draws ``i`` uniformly from ``0..gray``: ``i`` in 0, 1, 2 copies the R, G or
    B channel into all channels; ``i >= 3`` (only when ``gray >= 3``) turns the
    image grey with probability ``gray_prob``. CAJ's ``ChannelExchange(gray=2)``
    (visible images) is the default; its ``ChannelAdapGray(0.5)`` (infrared
    images) is ``gray=3, gray_prob=0.5``. Follows CAJ on the raw image rather
    than on the normalised tensor (the network's per-channel normalisation then
    applies to the copied channel).

    Required keys: ``img`` (BGR). Modified keys: ``img``.

    Args:
        gray (int): Largest index drawn. Defaults to 2.
        gray_prob (float): Probability of greying when ``i >= 3``. Defaults to 1.
    """

    def __init__(self, gray: int = 2, gray_prob: float = 1.0):
        if not isinstance(gray, int) or gray < 0:
            raise ValueError(f'ChannelExchange: gray must be a non-negative int, got {gray!r}')
        if not 0 <= gray_prob <= 1:
            raise ValueError(f'ChannelExchange: gray_prob must be in [0, 1], got {gray_prob!r}')
        self.gray = gray
        self.gray_prob = gray_prob

    @cache_randomness
    def _choice(self) -> Tuple[int, bool]:
        index = int(np.random.randint(0, self.gray + 1))
        grey = index >= 3 and bool(np.random.rand() < self.gray_prob)
        return index, grey

    def transform(self, results: dict) -> dict:
        img = _check_colour(results, 'ChannelExchange')
        index, grey = self._choice()
        if index < 3:
            single = img[..., 2 - index]  # R, G, B of a BGR image
        elif grey:
            single = _grey(img)
        else:
            return results
        results['img'] = np.repeat(single[..., None], 3, axis=2)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gray={self.gray}, gray_prob={self.gray_prob})'


@TRANSFORMS.register_module()
class RandomGrayscale(BaseTransform):
    """Turn the image grey (3 equal channels) with probability ``prob``.

    torchvision's ``RandomGrayscale``, which CAJ and other VI-ReID code bases
    use on visible images so that colour cannot be relied on.

    Required keys: ``img`` (BGR). Modified keys: ``img``.

    Args:
        prob (float): Probability of greying. Defaults to 0.1.
    """

    def __init__(self, prob: float = 0.1):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomGrayscale: prob must be in [0, 1], got {prob!r}')
        self.prob = prob

    @cache_randomness
    def _do_grey(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        img = _check_colour(results, 'RandomGrayscale')
        if self._do_grey():
            results['img'] = np.repeat(_grey(img)[..., None], 3, axis=2)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(prob={self.prob})'
