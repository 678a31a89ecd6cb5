"""Loading transforms: the image from disk and cached pose heatmaps."""
import os
from typing import Optional

import cv2
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform

from vireid_toolbox.datasets.pose_cache import PoseCache, PoseCacheError, open_pose_cache
from vireid_toolbox.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadReIDImage(BaseTransform):
    """Read ``results['img_path']`` as a 3-channel BGR uint8 image.

    Infrared images stored with one channel come out with three identical
    channels, as SYSU-MM01 stores them, so both modalities share one input format.

    Required keys: ``img_path``. Added keys: ``img``, ``img_shape``, ``ori_shape``
    (``(height, width)``).

    Args:
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self, backend_args: Optional[dict] = None):
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        path = results.get('img_path')
        if path is None:
            raise KeyError(f'LoadReIDImage needs "img_path"; the data sample has '
                           f'{sorted(results)}')
        try:
            buffer = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'LoadReIDImage: image {path} does not exist') from None
        img = cv2.imdecode(np.frombuffer(buffer, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'LoadReIDImage: {path} is not a readable image '
                             f'({len(buffer)} bytes could not be decoded)')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend_args={self.backend_args})'


@TRANSFORMS.register_module()
class LoadCachedHeatmaps(BaseTransform):
    """Put an image's cached pose heatmaps and keypoints into the results.

    The cache (see :mod:`vireid_toolbox.datasets.pose_cache`) is opened on first
    use in each process, so data-loader workers each map it once and nothing
    large is pickled. Rows are found by ``results['rel_path']``, the image path
    relative to the data root that data sets with a pose cache provide. Put this
    right after :class:`LoadReIDImage`: cached maps cover the whole original
    image, and the geometric transforms keep them aligned from there.

    Required keys: ``rel_path``. Added keys: ``heatmaps`` (``K x h x w``
    float16, as stored: half the bytes through the data loader), ``keypoints``
    (``K x 3`` float32: x, y in image pixels, score).

    Args:
        cache_dir (str): The cache directory.
        expected_pose_model (dict, optional): Keys the cache's ``pose_model``
            must match (e.g. ``{'name': 'synthetic-ground-truth'}``); a cache
            made by another model is refused.
    """

    def __init__(self, cache_dir: str, expected_pose_model: Optional[dict] = None):
        self.cache_dir = cache_dir
        self.expected_pose_model = expected_pose_model
        self._cache: Optional[PoseCache] = None
        self._owner_pid: Optional[int] = None

    @property
    def cache(self) -> PoseCache:
        """The opened cache (opened again in a forked worker)."""
        if self._cache is None or self._owner_pid != os.getpid():
            self._cache = open_pose_cache(self.cache_dir, self.expected_pose_model)
            self._owner_pid = os.getpid()
        return self._cache

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_cache'] = state['_owner_pid'] = None
        return state

    def check_data_list(self, dataset) -> None:
        """Refuse a cache without a row for some image of ``dataset`` before any is loaded."""
        rel_paths = [dataset.get_data_info(i).get('rel_path') for i in range(len(dataset))]
        missing = [path for path in rel_paths if path not in self.cache.row_of]
        if missing:
            raise PoseCacheError(
                f'pose cache {self.cache_dir} has no row for {len(missing)} of the '
                f'{len(rel_paths)} images of the data set, the first {missing[0]!r}: it was '
                'made for other images (extract it for this data root)')

    def transform(self, results: dict) -> dict:
        rel_path = results.get('rel_path')
        if rel_path is None:
            raise KeyError(f'LoadCachedHeatmaps needs "rel_path" (the image path relative to '
                           f'the data root) for {results.get("img_path", "a sample")}; build '
                           f'the data set with pose_cache= so that its entries carry it')
        cache = self.cache
        row = cache.lookup(rel_path)
        # as stored (float16): the model converts the batch on its device
        results['heatmaps'] = cache.heatmap_rows[row].copy()
        results['keypoints'] = cache.keypoint_rows[row].astype(np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(cache_dir={self.cache_dir!r}, '
                f'expected_pose_model={self.expected_pose_model})')
