"""On-disk cache of pose heatmaps and keypoints, one row per image.

Layout of a cache directory (format version 1)::

    meta.json       {"format_version": 1, "pose_model": {...}, "num_joints": K,
                     "heatmap_size": [w, h], "joint_order": "mpii"}
    index.json      image paths relative to the data root; row i of the arrays is image i
    heatmaps.npy    float16, N x K x h x w; every map covers the whole image (bbox = image)
    keypoints.npy   float32, N x K x 3: x, y in the image's pixel coordinates, score
    done.npy        bool, N: rows already written (lets an interrupted extraction resume)

``pose_model`` names where the maps come from: for an mmpose network the
config name, the checkpoint's SHA-256 and the network input size; for the
synthetic data set ``{"name": "synthetic-ground-truth"}``. Readers compare it
with what their config names and refuse a cache made by another model.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

FORMAT_VERSION = 1
MPII_FLIP_PAIRS = ((0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13))
"""Left/right joint pairs in the MPII order used by mmpose (see SPEC, pose source)."""


class PoseCacheError(ValueError):
    """A pose cache that is missing, incomplete or made by another pose model."""


def flip_joint_order(num_joints: int, flip_pairs: Sequence[Sequence[int]]) -> List[int]:
    """Index list that swaps every left joint with its right twin."""
    order = list(range(num_joints))
    for left, right in flip_pairs:
        order[left], order[right] = right, left
    return order


def render_gaussian_heatmaps(keypoints: np.ndarray, image_size: Sequence[int],
                             heatmap_size: Sequence[int], sigma: float = 2.0) -> np.ndarray:
    """Render K joints as Gaussian heatmaps (peak = joint score).

    Args:
        keypoints (np.ndarray): K x 3 array of x, y (image pixels) and score.
        image_size (Sequence[int]): (width, height) of the image.
        heatmap_size (Sequence[int]): (width, height) of the heatmaps.
        sigma (float): Standard deviation in heatmap pixels.

    Returns:
        np.ndarray: float32 heatmaps of shape K x h x w.
    """
    img_w, img_h = image_size
    hm_w, hm_h = heatmap_size
    xs = np.arange(hm_w, dtype=np.float32)[None, None, :]
    ys = np.arange(hm_h, dtype=np.float32)[None, :, None]
    # pixel centres: image x maps to heatmap (x + 0.5) * hm_w / img_w - 0.5
    cx = ((keypoints[:, 0] + 0.5) * hm_w / img_w - 0.5)[:, None, None]
    cy = ((keypoints[:, 1] + 0.5) * hm_h / img_h - 0.5)[:, None, None]
    maps = np.exp(-((xs - cx)**2 + (ys - cy)**2) / (2 * sigma**2))
    return (maps * keypoints[:, 2, None, None]).astype(np.float32)


class PoseCache:
    """Reader and writer of a pose cache directory (see the module docstring)."""

    def __init__(self, cache_dir: str, mode: str = 'r'):
        self.cache_dir = cache_dir
        meta_file = osp.join(cache_dir, 'meta.json')
        if not osp.isfile(meta_file):
            raise PoseCacheError(f'no pose cache at {cache_dir}: {meta_file} does not exist')
        with open(meta_file) as f:
            self.meta = json.load(f)
        if self.meta.get('format_version') != FORMAT_VERSION:
            raise PoseCacheError(f'{meta_file}: format_version {self.meta.get("format_version")!r}, '
                                 f'this reader understands {FORMAT_VERSION}')
        index_file = osp.join(cache_dir, 'index.json')
        try:
            with open(index_file) as f:
                self.image_paths: List[str] = json.load(f)
        except (OSError, ValueError) as error:
            raise PoseCacheError(f'{index_file} is unreadable: {error}') from None
        self.row_of: Dict[str, int] = {path: i for i, path in enumerate(self.image_paths)}
        mmap_mode = 'r+' if mode == 'w' else 'r'
        self.heatmaps = self._load_rows('heatmaps.npy', mmap_mode)
        self.keypoints = self._load_rows('keypoints.npy', mmap_mode)
        self.done = self._load_rows('done.npy', mmap_mode)
        # plain-array views of the same pages: a row read without np.memmap's per-access overhead
        self.heatmap_rows = self.heatmaps.view(np.ndarray)
        self.keypoint_rows = self.keypoints.view(np.ndarray)

    def _load_rows(self, name: str, mmap_mode: str) -> np.ndarray:
        """Map one array file, refusing a truncated one or one with another number of rows."""
        path = osp.join(self.cache_dir, name)
        try:
            array = np.load(path, mmap_mode=mmap_mode)
        except FileNotFoundError:
            raise PoseCacheError(f'pose cache {self.cache_dir} is incomplete: {path} does not '
                                 'exist') from None
        except (ValueError, OSError, EOFError) as error:  # e.g. "mmap length is greater ..."
            raise PoseCacheError(f'{path} is truncated or not a .npy array ({error}); '
                                 'extract the pose cache again') from None
        if array.shape[0] != len(self.image_paths):
            raise PoseCacheError(f'{path} has {array.shape[0]} rows but index.json lists '
                                 f'{len(self.image_paths)} images: the cache is damaged')
        return array

    @classmethod
    def create(cls, cache_dir: str, image_paths: Sequence[str], pose_model: dict,
               num_joints: int, heatmap_size: Sequence[int],
               joint_order: str = 'mpii') -> 'PoseCache':
        """Create an empty cache (all rows not done) and open it for writing."""
        os.makedirs(cache_dir, exist_ok=True)
        hm_w, hm_h = heatmap_size
        n = len(image_paths)
        np.lib.format.open_memmap(osp.join(cache_dir, 'heatmaps.npy'), mode='w+',
                                  dtype=np.float16, shape=(n, num_joints, hm_h, hm_w)).flush()
        np.lib.format.open_memmap(osp.join(cache_dir, 'keypoints.npy'), mode='w+',
                                  dtype=np.float32, shape=(n, num_joints, 3)).flush()
        np.save(osp.join(cache_dir, 'done.npy'), np.zeros(n, dtype=bool))
        with open(osp.join(cache_dir, 'index.json'), 'w') as f:
            json.dump(list(image_paths), f)
        meta = dict(format_version=FORMAT_VERSION, pose_model=pose_model,
                    num_joints=num_joints, heatmap_size=[hm_w, hm_h], joint_order=joint_order)
        with open(osp.join(cache_dir, 'meta.json'), 'w') as f:
            json.dump(meta, f, indent=2)
        return cls(cache_dir, mode='w')

    def write(self, row: int, heatmaps: np.ndarray, keypoints: np.ndarray) -> None:
        """Store one image's heatmaps and keypoints and mark the row done."""
        self.heatmaps[row] = heatmaps.astype(np.float16)
        self.keypoints[row] = keypoints
        self.done[row] = True

    def flush(self) -> None:
        """Write memory-mapped changes to disk."""
        for array in (self.heatmaps, self.keypoints, self.done):
            array.flush()

    def check_pose_model(self, expected: dict) -> None:
        """Raise unless every key of ``expected`` matches the cache's pose model."""
        recorded = self.meta['pose_model']
        for key, value in expected.items():
            if recorded.get(key) != value:
                raise PoseCacheError(
                    f'pose cache {self.cache_dir} was made with pose_model.{key}='
                    f'{recorded.get(key)!r}, but the config names {value!r}')

    def check_complete(self) -> None:
        """Raise when some rows were never written (an interrupted extraction)."""
        missing = int((~np.asarray(self.done)).sum())
        if missing:
            raise PoseCacheError(f'pose cache {self.cache_dir} is incomplete: {missing} of '
                                 f'{len(self.done)} images have no heatmaps; resume the extraction')

    def lookup(self, rel_path: str) -> int:
        """Row of an image path (relative to the data root)."""
        try:
            return self.row_of[rel_path]
        except KeyError:
            raise PoseCacheError(f'{rel_path} is not in the pose cache {self.cache_dir}') from None

    def __len__(self) -> int:
        return len(self.image_paths)


def open_pose_cache(cache_dir: str, expected_pose_model: Optional[dict] = None) -> PoseCache:
    """Open a complete cache for reading, checking the pose model when given."""
    cache = PoseCache(cache_dir)
    cache.check_complete()
    if expected_pose_model:
        cache.check_pose_model(expected_pose_model)
    return cache
