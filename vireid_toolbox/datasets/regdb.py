"""RegDB, read from its per-trial split lists.

Layout::

    data_root/Visible/<id>/*.bmp, data_root/Thermal/<id>/*.bmp
    data_root/idx/{train,test}_{visible,thermal}_{trial}.txt   lines "relative/path label"

Trial ``t`` (1..10) trains on the ``train_*_t`` lists and tests on the
``test_*_t`` lists; the test is run visible-to-thermal and thermal-to-visible
with no camera filtering (SPEC "Evaluation protocols"). For model selection a
seeded fraction of the training identities can be held out as ``split='val'``
(:func:`held_out_ids`).
"""
import os.path as osp
from typing import List

from mmengine.dataset import BaseDataset

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .id_folders import check_listed_images, held_out_ids, read_list_file
from .seeded_augmentation import SeededAugmentationMixin

REGDB_NUM_TRIALS = 10
REGDB_MODALITIES = (('visible', VISIBLE, 1), ('thermal', INFRARED, 2))
"""``(list name, modality, camera)``: RegDB has one camera per modality, numbered 1 and 2."""


@DATASETS.register_module()
class RegDBDataset(SeededAugmentationMixin, BaseDataset):
    """RegDB, one of its 10 random train/test splits, or a validation split of its training ids.

    The modality comes from the list an image is in; RegDB has one camera per
    modality, so ``camera`` is 1 for visible and 2 for thermal images. Training
    labels are relabelled 0..N-1 in ascending order of the listed labels; test
    and validation entries keep the listed label. ``split='val'`` holds the
    training-list images of the ids :func:`held_out_ids` draws
    (``val_fraction`` of them); ``hold_out_val`` removes those ids from
    ``split='train'``.

    Each data-list entry: ``img_path`` (absolute), ``rel_path``, ``gt_label``,
    ``pid`` (the listed label), ``modality`` and ``camera``.

    Indexed with a :class:`SeededIndex` (as the training sampler does), the
    pipeline draws its random augmentation from that index's seed.

    Args:
        data_root (str): Root of RegDB (holding ``idx/``).
        trial (int): Split index, 1..10.
        split (str): 'train', 'val' or 'test'.
        hold_out_val (bool): Leave the validation ids out of ``split='train'``.
            Defaults to False (the papers train on every training id).
        val_fraction (float): Share of the training ids held out as the
            validation split. Defaults to 0.2.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    METAINFO = dict(dataset_name='RegDB',
                    dataset_version='10 split lists idx/{train,test}_*_{1..10}.txt')

    def __init__(self, data_root: str, trial: int = 1, split: str = 'train',
                 hold_out_val: bool = False, val_fraction: float = 0.2, **kwargs):
        if split not in ('train', 'val', 'test'):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        is_int = isinstance(trial, int) and not isinstance(trial, bool)
        if not is_int or not 1 <= trial <= REGDB_NUM_TRIALS:
            raise ValueError(f'RegDB trial must be an int in 1..{REGDB_NUM_TRIALS}, got {trial!r}')
        self.split = split
        self.trial = trial
        self.hold_out_val = hold_out_val
        self.val_fraction = val_fraction
        super().__init__(data_root=data_root, **kwargs)
        self._metainfo.update(split=split, trial=trial, hold_out_val=hold_out_val)

    def load_data_list(self) -> List[dict]:
        """Read the visible and thermal lists of the split and trial."""
        if not osp.isdir(self.data_root):
            raise FileNotFoundError(f'RegDB data root {self.data_root} does not exist')
        root = osp.abspath(self.data_root)
        entries = []
        list_split = 'test' if self.split == 'test' else 'train'
        for list_name, modality, camera in REGDB_MODALITIES:
            list_file = osp.join(root, 'idx', f'{list_split}_{list_name}_{self.trial}.txt')
            listed = read_list_file(list_file)
            check_listed_images(list_file, root, [rel_path for rel_path, _ in listed])
            entries.extend(
                dict(img_path=osp.join(root, rel_path), rel_path=rel_path, gt_label=label,
                     pid=label, modality=modality, camera=camera) for rel_path, label in listed)
        if self.split == 'val' or (self.split == 'train' and self.hold_out_val):
            val_ids = set(held_out_ids([e['pid'] for e in entries], self.val_fraction,
                                       osp.join(root, 'idx', f'train_*_{self.trial}.txt')))
            entries = [e for e in entries if (e['pid'] in val_ids) == (self.split == 'val')]
        if self.split == 'train':
            label_of = {pid: label for label, pid in enumerate(sorted({e['pid'] for e in entries}))}
            for entry in entries:
                entry['gt_label'] = label_of[entry['pid']]
        return entries
