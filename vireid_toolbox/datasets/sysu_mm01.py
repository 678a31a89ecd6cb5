"""SYSU-MM01: the data set read from its raw release layout, and its test protocol.

Layout (as released)::

    data_root/cam1 ... cam6/<%04d id>/<%04d>.jpg   cameras 1, 2, 4, 5 visible; 3, 6 infrared
    data_root/exp/train_id.txt, val_id.txt, test_id.txt   one line of comma-separated ids
    data_root/exp/rand_perm_cam.mat    only for draw='official' (from the official
                                       evaluation code, ``evaluation/data_split/``)

Protocol (SPEC "Evaluation protocols"): the queries are all infrared images of
the test ids; the gallery holds, per (id, visible camera), one image
(single-shot) or ten (multi-shot), drawn anew for each of 10 trials.
"""
import os
import os.path as osp
import re
import warnings
from collections import Counter
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .id_folders import Item, id_folder, list_images, read_id_file, scan_id_folders, seeded_draw
from .seeded_augmentation import SeededAugmentationMixin

SYSU_CAMERAS = (1, 2, 3, 4, 5, 6)
SYSU_INFRARED_CAMERAS = (3, 6)
SYSU_GALLERY_CAMERAS = {'all': (1, 2, 4, 5), 'indoor': (1, 2)}
"""Visible cameras of the gallery per search mode, in the reference draw order."""
SYSU_SPLIT_IDS = {'train': ('train_id.txt', 'val_id.txt'), 'val': ('val_id.txt', ),
                  'test': ('test_id.txt', )}
"""Id files of each split: training uses the train and the val ids (395 ids) unless the val ids
are held out for model selection (``hold_out_val``)."""
SYSU_PUBLISHED_TRAIN_COUNTS = {'ids': 395, VISIBLE: 22258, INFRARED: 11909}
"""The published size of the training set: 395 ids, 22,258 visible and 11,909 infrared images."""


def sysu_modality(camera: int) -> int:
    """Modality of a SYSU-MM01 camera: cameras 3 and 6 are infrared, the others visible."""
    return INFRARED if camera in SYSU_INFRARED_CAMERAS else VISIBLE


def _camera_dirs(cameras) -> List[Tuple[int, str]]:
    return [(camera, f'cam{camera}') for camera in cameras]


def _check_root(data_root: str) -> str:
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'SYSU-MM01 data root {data_root} does not exist')
    return osp.abspath(data_root)


def _check_split(split: str) -> None:
    if split not in SYSU_SPLIT_IDS:
        raise ValueError(f"split must be one of {tuple(SYSU_SPLIT_IDS)}, got {split!r}")


def _check_eval_split(split: str) -> None:
    if split not in ('val', 'test'):
        raise ValueError(f"the protocol runs on split 'val' or 'test', got {split!r}")


def sysu_split_ids(data_root: str, split: str, hold_out_val: bool = False) -> List[int]:
    """Sorted person ids of ``split`` from ``exp/``.

    'train' = train + val ids (train ids only with ``hold_out_val``), 'val' =
    the official val ids, 'test' = the test ids.
    """
    _check_split(split)
    names = SYSU_SPLIT_IDS[split]
    if split == 'train' and hold_out_val:
        names = ('train_id.txt', )
    ids = set()
    for name in names:
        ids.update(read_id_file(osp.join(data_root, 'exp', name)))
    return sorted(ids)


def sysu_query(data_root: str, split: str = 'test') -> List[Item]:
    """All infrared images (cameras 3 and 6) of the test (or val) ids.

    Args:
        data_root (str): Root of the SYSU-MM01 release.
        split (str): 'test', or 'val' for model selection.

    Returns:
        list[Item]: ``(img_path, pid, camera)``, ids ascending, then camera
        3 before 6, then file names sorted (the reference order).
    """
    _check_eval_split(split)
    data_root = _check_root(data_root)
    return scan_id_folders(data_root, _camera_dirs(SYSU_INFRARED_CAMERAS),
                           sysu_split_ids(data_root, split))


@lru_cache(maxsize=4)
def load_rand_perm(rand_perm_file: str) -> Dict[Tuple[int, int], np.ndarray]:
    """Read the official ``rand_perm_cam.mat`` (cached: a metric reads it for every trial).

    The file holds a 6 x 1 cell array, one cell per camera, each an
    ``ids x 1`` cell array whose entry ``pid - 1`` is a ``trials x n`` matrix:
    row ``t`` is a permutation of the 1-based indices of the ``n`` images of
    that (camera, id), used by trial ``t`` (the official MATLAB code reads
    ``rand_perm_cam{cam}{id}(run_time, 1:number_shot)``).

    Args:
        rand_perm_file (str): Path of ``rand_perm_cam.mat``.

    Returns:
        dict: ``{(camera, pid): trials x n int array}`` for every (camera, id)
        with at least one image.
    """
    if not osp.isfile(rand_perm_file):
        raise FileNotFoundError(
            f'{rand_perm_file} does not exist; draw="official" needs the official '
            'rand_perm_cam.mat (SYSU-MM01 evaluation code, evaluation/data_split/): '
            'copy it to <data_root>/exp/ or pass rand_perm_file=')
    from scipy.io import loadmat
    try:
        cells = loadmat(rand_perm_file)['rand_perm_cam']
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(f'{rand_perm_file} is not the official rand_perm_cam.mat: {err}') from err
    if cells.shape != (len(SYSU_CAMERAS), 1):
        raise ValueError(f'{rand_perm_file}: rand_perm_cam has shape {cells.shape}, '
                         f'expected ({len(SYSU_CAMERAS)}, 1), one cell per camera')
    perms = {}
    for cam_index, camera in enumerate(SYSU_CAMERAS):
        per_id = cells[cam_index, 0]
        for id_index in range(per_id.shape[0]):
            perm = np.asarray(per_id[id_index, 0], dtype=np.int64)
            if perm.size:
                perm.flags.writeable = False  # shared by every caller through the cache
                perms[(camera, id_index + 1)] = perm
    return perms


def sysu_image_counts(rand_perm_file: str) -> Dict[Tuple[int, int], int]:
    """Real per-(camera, id) image counts implied by ``rand_perm_cam.mat``.

    Each permutation lists every image of its (camera, id) once, so its length
    is the number of images there.

    Args:
        rand_perm_file (str): Path of the official ``rand_perm_cam.mat``.

    Returns:
        dict: ``{(camera, pid): n}`` for every (camera, id) with images.
    """
    return {key: perm.shape[1] for key, perm in load_rand_perm(rand_perm_file).items()}


def _official_draw(data_root: str, cameras, pids, trial: int, shots: int,
                   rand_perm_file: str) -> List[Item]:
    """The draw of the official MATLAB ``get_testing_set.m``: cameras outer, ids inner."""
    perms = load_rand_perm(rand_perm_file)
    num_trials = min(perm.shape[0] for perm in perms.values())
    if not 0 <= trial < num_trials:
        raise ValueError(f'trial must be in 0..{num_trials - 1} for {rand_perm_file}, got {trial}')
    items = []
    for camera in cameras:
        for pid in sorted(pids):
            folder = id_folder(data_root, f'cam{camera}', pid)
            files = list_images(folder)
            perm = perms.get((camera, pid))
            expected = 0 if perm is None else perm.shape[1]
            if len(files) != expected:
                raise ValueError(
                    f'{folder} holds {len(files)} images but {rand_perm_file} permutes {expected}: '
                    'the official draw needs the real SYSU-MM01 files')
            if perm is None:
                continue
            items.extend((osp.join(folder, files[index - 1]), pid, camera)
                         for index in perm[trial, :shots])
    return items


def sysu_gallery(data_root: str,
                 mode: str = 'all',
                 trial: int = 0,
                 shots: int = 1,
                 draw: str = 'seeded',
                 rand_perm_file: Optional[str] = None,
                 split: str = 'test') -> List[Item]:
    """The visible gallery of one SYSU-MM01 trial.

    Args:
        data_root (str): Root of the SYSU-MM01 release.
        mode (str): 'all' (cameras 1, 2, 4, 5) or 'indoor' (cameras 1, 2).
        trial (int): Trial index (0-based); seeds the draw.
        shots (int): Images per (id, camera): 1 single-shot, 10 multi-shot.
        draw (str): 'seeded' replays the community reference code
            (``random.seed(trial)``, ids outer, cameras inner, see
            :func:`seeded_draw`); 'official' takes the first ``shots`` entries
            of row ``trial`` of ``rand_perm_cam.mat`` as 1-based indices into
            the sorted files, cameras outer and ids inner, as the official
            MATLAB code does (a (camera, id) with fewer than ``shots`` images
            gives all of them; the real test set has none).
        rand_perm_file (str, optional): The official ``rand_perm_cam.mat``;
            defaults to ``<data_root>/exp/rand_perm_cam.mat``.
        split (str): 'test', or 'val' for model selection.

    Returns:
        list[Item]: ``(img_path, pid, camera)`` tuples.
    """
    if mode not in SYSU_GALLERY_CAMERAS:
        raise ValueError(f"mode must be 'all' or 'indoor', got {mode!r}")
    if not isinstance(shots, int) or shots < 1:
        raise ValueError(f'shots must be a positive int, got {shots!r}')
    _check_eval_split(split)
    data_root = _check_root(data_root)
    pids = sysu_split_ids(data_root, split)
    cameras = SYSU_GALLERY_CAMERAS[mode]
    if draw == 'seeded':
        return seeded_draw(data_root, _camera_dirs(cameras), pids, trial, shots)
    if draw == 'official':
        if rand_perm_file is None:
            rand_perm_file = osp.join(data_root, 'exp', 'rand_perm_cam.mat')
        return _official_draw(data_root, cameras, pids, trial, shots, rand_perm_file)
    raise ValueError(f"draw must be 'seeded' or 'official', got {draw!r}")


@DATASETS.register_module()
class SYSUMM01Dataset(SeededAugmentationMixin, BaseDataset):
    """SYSU-MM01 read from the raw release layout (no preprocessing, no .npy).

    ``split='train'`` holds every image of the train and val ids (395 ids in
    the real set; the train ids only with ``hold_out_val``), labels relabelled
    0..N-1 in ascending id order; ``split='test'`` holds every image of the
    test ids in all six cameras with the raw id as label (the metric applies
    the query/gallery protocol with :func:`sysu_query` and
    :func:`sysu_gallery`); ``split='val'`` does the same for the official val
    ids, the model-selection split.

    Each data-list entry: ``img_path`` (absolute), ``rel_path`` (relative to
    ``data_root``, the key of the pose cache), ``gt_label``, ``pid``,
    ``modality`` (cameras 3 and 6 infrared) and ``camera``.

    Indexed with a :class:`SeededIndex` (as the training sampler does), the
    pipeline draws its random augmentation from that index's seed.

    Args:
        data_root (str): Root of the release (holding ``cam1``..``cam6``, ``exp``).
        split (str): 'train', 'val' or 'test'.
        hold_out_val (bool): Leave the val ids out of the training split, so
            that model selection on ``split='val'`` sees unseen identities.
            Defaults to False (the papers train on train + val ids).
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ``lazy_init``, ...).
    """

    METAINFO = dict(dataset_name='SYSU-MM01',
                    dataset_version='original release (exp/train|val|test_id.txt)')

    def __init__(self, data_root: str, split: str = 'train', hold_out_val: bool = False, **kwargs):
        _check_split(split)
        self.split = split
        self.hold_out_val = hold_out_val
        super().__init__(data_root=data_root, **kwargs)
        self._metainfo.update(split=split, hold_out_val=hold_out_val)

    def _check_camera_folders(self, root: str) -> None:
        for name in sorted(os.listdir(root)):
            if (name.startswith('cam') and osp.isdir(osp.join(root, name))
                    and not re.fullmatch(r'cam[1-6]', name)):
                raise ValueError(f'{osp.join(root, name)}: camera folder {name!r} is not one of '
                                 'cam1..cam6 of the SYSU-MM01 layout')
        for camera in SYSU_CAMERAS:
            if not osp.isdir(osp.join(root, f'cam{camera}')):
                raise FileNotFoundError(f'camera folder {osp.join(root, f"cam{camera}")} '
                                        'does not exist')

    def _warn_missing_images(self, root: str, pids: List[int], items: List[Item]) -> None:
        """Warn when the split holds fewer images than the release.

        Per (camera, id) against ``exp/rand_perm_cam.mat`` (the official
        evaluation file, which permutes every image of the release) when the
        data root holds it; else, for a training split of the published 395
        ids, per modality against the published counts.
        """
        found = Counter((camera, pid) for _, pid, camera in items)
        rand_perm_file = osp.join(root, 'exp', 'rand_perm_cam.mat')
        if osp.isfile(rand_perm_file):
            wanted = set(pids)
            short = [(camera, pid, found[(camera, pid)], count)
                     for (camera, pid), count in sorted(sysu_image_counts(rand_perm_file).items())
                     if pid in wanted and found[(camera, pid)] < count]
            if short:
                per_camera = Counter()
                for camera, _, have, count in short:
                    per_camera[camera] += count - have
                camera, pid, have, count = short[0]
                warnings.warn(
                    f'SYSU-MM01 {root}: {sum(per_camera.values())} images of the {self.split} '
                    f'split are missing against {rand_perm_file} ('
                    + ', '.join(f'cam{c}: {n}' for c, n in sorted(per_camera.items()))
                    + f'), the first in cam{camera}/{pid:04d}, which holds {have} of {count}')
        elif self.split == 'train' and len(pids) == SYSU_PUBLISHED_TRAIN_COUNTS['ids']:
            have = Counter(sysu_modality(camera) for _, _, camera in items)
            short = {name: SYSU_PUBLISHED_TRAIN_COUNTS[code] - have[code]
                     for code, name in ((VISIBLE, 'visible'), (INFRARED, 'infrared'))
                     if have[code] < SYSU_PUBLISHED_TRAIN_COUNTS[code]}
            if short:
                warnings.warn(f'SYSU-MM01 {root}: the training split misses images against the '
                              'published counts (22,258 visible, 11,909 infrared): '
                              + ', '.join(f'{n} {name}' for name, n in short.items()))

    def load_data_list(self) -> List[dict]:
        """Scan the identity folders of the split's ids."""
        root = _check_root(self.data_root)
        self._check_camera_folders(root)
        pids = sysu_split_ids(root, self.split, self.hold_out_val)
        items = scan_id_folders(root, _camera_dirs(SYSU_CAMERAS), pids)
        found = {pid for _, pid, _ in items}
        missing = [pid for pid in pids if pid not in found]
        if missing:
            raise FileNotFoundError(
                f'{root}: id {missing[0]} of the {self.split} split has no image in any of '
                f'cam1..cam6/{missing[0]:04d} ({len(missing)} ids without images: {missing[:10]})')
        self._warn_missing_images(root, pids, items)
        label_of = {pid: label for label, pid in enumerate(pids)}
        return [
            dict(img_path=path, rel_path=osp.relpath(path, root).replace(os.sep, '/'),
                 gt_label=label_of[pid] if self.split == 'train' else pid, pid=pid,
                 modality=sysu_modality(camera), camera=camera)
            for path, pid, camera in items
        ]
