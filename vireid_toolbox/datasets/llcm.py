"""LLCM (low-light cross-modality), read as the DEEN reference code reads it.

Layout::

    data_root/idx/train_vis.txt, train_nir.txt     lines "relative/path label"
    data_root/idx/test_id.txt                      one line of comma-separated ids
    data_root/test_vis/cam1..cam9/<%04d id>/*.jpg  visible test images
    data_root/test_nir/cam1,2,4..9/<%04d id>/*.jpg near-infrared test images

Protocol (DEEN ``test.py``): for each of 10 trials the queries are all test
images of one modality, the gallery one randomly drawn image per (id,
camera) of the other (``random.seed(trial)``, as for SYSU-MM01). A gallery
image with the query's identity *and* camera is ignored when ranking; the
camera is the ``camN`` folder of a test image.

The layout is the one of the release the DEEN code reads (its
``data_manager.py`` / ``data_loader.py`` of June 2023); the DEEN README
revised the LLCM results of the CVPR paper at that time, so numbers made here
compare with the README's table. For model selection a seeded fraction of the
training identities can be held out as ``split='val'`` (:func:`held_out_ids`).
"""
import os
import os.path as osp
import re
from typing import List

from mmengine.dataset import BaseDataset

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .id_folders import (Item, check_listed_images, held_out_ids, read_id_file, read_list_file,
                         scan_id_folders, seeded_draw)
from .seeded_augmentation import SeededAugmentationMixin

LLCM_TEST_CAMERA_DIRS = {
    VISIBLE: [(camera, f'test_vis/cam{camera}') for camera in (1, 2, 3, 4, 5, 6, 7, 8, 9)],
    INFRARED: [(camera, f'test_nir/cam{camera}') for camera in (1, 2, 4, 5, 6, 7, 8, 9)],
}
"""Test cameras of each modality, in the DEEN order (there is no near-infrared camera 3)."""
LLCM_TRAIN_LISTS = ((VISIBLE, 'train_vis.txt'), (INFRARED, 'train_nir.txt'))
LLCM_LAYOUT = {'train': ('idx/train_vis.txt', 'idx/train_nir.txt'),
               'test': ('idx/test_id.txt', 'test_vis', 'test_nir')}
"""What each split reads under the data root."""
LLCM_VERSION = 'DEEN-code release (idx/train_vis|nir.txt, idx/test_id.txt, test_vis|nir/camN)'
"""The LLCM release whose layout this reader matches, recorded with every LLCM number."""


def llcm_camera(rel_path: str) -> int:
    """Camera of an LLCM image: its ``camN`` folder, else the ``cNN`` field of its name.

    Test images sit in ``test_*/camN/`` (DEEN parses that folder); training
    images are named ``<id>_c<NN>_s..._f..._<vis|nir>.jpg``.

    Args:
        rel_path (str): Image path relative to the data root.

    Returns:
        int | None: The camera, or None when the path names none.
    """
    folder = re.search(r'(?:^|/)cam(\d+)/', rel_path)
    if folder:
        return int(folder.group(1))
    name = re.match(r'\d+_c(\d+)_', osp.basename(rel_path))
    return int(name.group(1)) if name else None


def _check_root(data_root: str, split: str = 'test') -> str:
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'LLCM data root {data_root} does not exist')
    for entry in LLCM_LAYOUT[split]:
        if not osp.exists(osp.join(data_root, entry)):
            raise FileNotFoundError(
                f'LLCM data root {data_root} is not in the LLCM layout: {entry} does not exist '
                f'(the {split} split reads {", ".join(LLCM_LAYOUT[split])})')
    return osp.abspath(data_root)


def llcm_test_ids(data_root: str) -> List[int]:
    """Sorted test ids from ``idx/test_id.txt``."""
    return sorted(set(read_id_file(osp.join(data_root, 'idx', 'test_id.txt'))))


def llcm_query(data_root: str, modality: int = INFRARED) -> List[Item]:
    """Every test image of ``modality`` (DEEN ``process_query_llcm``).

    Args:
        data_root (str): Root of LLCM.
        modality (int): ``INFRARED`` for infrared-to-visible search (DEEN's
            default), ``VISIBLE`` for visible-to-infrared.

    Returns:
        list[Item]: ``(img_path, pid, camera)``, ids ascending, then cameras,
        then file names sorted.
    """
    data_root = _check_root(data_root)
    return scan_id_folders(data_root, LLCM_TEST_CAMERA_DIRS[modality], llcm_test_ids(data_root))


def llcm_gallery(data_root: str, modality: int = VISIBLE, trial: int = 0) -> List[Item]:
    """One seeded image per (test id, camera) of ``modality`` (DEEN ``process_gallery_llcm``).

    Args:
        data_root (str): Root of LLCM.
        modality (int): Modality of the gallery (the other one than the query's).
        trial (int): Trial index; seeds the draw (see :func:`seeded_draw`).

    Returns:
        list[Item]: ``(img_path, pid, camera)`` in draw order.
    """
    data_root = _check_root(data_root)
    return seeded_draw(data_root, LLCM_TEST_CAMERA_DIRS[modality], llcm_test_ids(data_root), trial,
                       shots=1)


@DATASETS.register_module()
class LLCMDataset(SeededAugmentationMixin, BaseDataset):
    """LLCM, as the DEEN code reads it.

    ``split='train'`` reads ``idx/train_vis.txt`` and ``idx/train_nir.txt``
    (labels relabelled 0..N-1 in ascending order of the listed labels);
    ``split='test'`` holds every visible and near-infrared image of the ids in
    ``idx/test_id.txt`` with the raw id as label (the metric draws query and
    gallery with :func:`llcm_query` / :func:`llcm_gallery`). ``split='val'``
    holds the training-list images of the ids :func:`held_out_ids` draws
    (``val_fraction`` of them) with their raw ids; ``hold_out_val`` removes
    those ids from ``split='train'``. The camera is kept on every entry
    because the protocol ignores gallery images sharing the query's identity
    and camera.

    Each data-list entry: ``img_path`` (absolute), ``rel_path``, ``gt_label``,
    ``pid``, ``modality`` and ``camera``.

    Indexed with a :class:`SeededIndex` (as the training sampler does), the
    pipeline draws its random augmentation from that index's seed.

    Args:
        data_root (str): Root of LLCM.
        split (str): 'train', 'val' or 'test'.
        hold_out_val (bool): Leave the validation ids out of ``split='train'``.
            Defaults to False.
        val_fraction (float): Share of the training ids held out as the
            validation split. Defaults to 0.2.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    METAINFO = dict(dataset_name='LLCM', dataset_version=LLCM_VERSION)

    def __init__(self, data_root: str, split: str = 'train', hold_out_val: bool = False,
                 val_fraction: float = 0.2, **kwargs):
        if split not in ('train', 'val', 'test'):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        self.split = split
        self.hold_out_val = hold_out_val
        self.val_fraction = val_fraction
        super().__init__(data_root=data_root, **kwargs)
        self._metainfo.update(split=split, hold_out_val=hold_out_val)

    def _train_entries(self, root: str) -> List[dict]:
        entries = []
        for modality, list_name in LLCM_TRAIN_LISTS:
            list_file = osp.join(root, 'idx', list_name)
            listed = read_list_file(list_file)
            for rel_path, label in listed:
                camera = llcm_camera(rel_path)
                if camera is None:
                    raise ValueError(f'{list_file}: no camera in {rel_path!r} (expected a camN '
                                     'folder or a file name <id>_c<NN>_...)')
                entries.append(dict(img_path=osp.join(root, rel_path), rel_path=rel_path,
                                    gt_label=label, pid=label, modality=modality, camera=camera))
            check_listed_images(list_file, root, [rel_path for rel_path, _ in listed])
        if self.split == 'val' or self.hold_out_val:
            val_ids = set(held_out_ids([e['pid'] for e in entries], self.val_fraction,
                                       osp.join(root, 'idx', 'train_*.txt')))
            entries = [e for e in entries if (e['pid'] in val_ids) == (self.split == 'val')]
        if self.split == 'val':
            return entries
        label_of = {pid: label for label, pid in enumerate(sorted({e['pid'] for e in entries}))}
        for entry in entries:
            entry['gt_label'] = label_of[entry['pid']]
        return entries

    def _test_entries(self, root: str) -> List[dict]:
        pids = llcm_test_ids(root)
        entries = []
        for modality, camera_dirs in LLCM_TEST_CAMERA_DIRS.items():
            entries.extend(
                dict(img_path=path, rel_path=osp.relpath(path, root).replace(os.sep, '/'),
                     gt_label=pid, pid=pid, modality=modality, camera=camera)
                for path, pid, camera in scan_id_folders(root, camera_dirs, pids))
        found = {entry['pid'] for entry in entries}
        missing = [pid for pid in pids if pid not in found]
        if missing:
            folder = f'{missing[0]:04d}'
            raise FileNotFoundError(f'{root}: test id {missing[0]} has no image in any of '
                                    f'test_vis/cam*/{folder}, test_nir/cam*/{folder}')
        return entries

    def load_data_list(self) -> List[dict]:
        """Read the training lists or scan the test identity folders."""
        split = 'test' if self.split == 'test' else 'train'  # val: held-out training ids
        root = _check_root(self.data_root, split)
        return self._test_entries(root) if split == 'test' else self._train_entries(root)
