"""RegDB: per-trial split lists, modality and camera from the list, relabelling, clear errors."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest

from vireid_toolbox.datasets.regdb import RegDBDataset
from vireid_toolbox.registry import DATASETS

# trial -> split -> modality list -> [(relative path, label)]
LISTS = {
    'train': {
        'visible': [('Visible/12/v_12_0.bmp', 12), ('Visible/12/v_12_1.bmp', 12),
                    ('Visible/3/v_3_0.bmp', 3)],
        'thermal': [('Thermal/3/t_3_0.bmp', 3), ('Thermal/40/t_40_0.bmp', 40)],
    },
    'test': {
        'visible': [('Visible/7/v_7_0.bmp', 7), ('Visible/9/v_9_0.bmp', 9)],
        'thermal': [('Thermal/7/t_7_0.bmp', 7), ('Thermal/9/t_9_0.bmp', 9),
                    ('Thermal/9/t_9_1.bmp', 9)],
    },
}


@pytest.fixture
def regdb_root(tmp_path):
    root = tmp_path / 'RegDB'
    os.makedirs(root / 'idx')
    for split, by_modality in LISTS.items():
        for modality, entries in by_modality.items():
            with open(root / 'idx' / f'{split}_{modality}_2.txt', 'w') as f:
                for rel_path, label in entries:
                    os.makedirs(osp.dirname(root / rel_path), exist_ok=True)
                    cv2.imwrite(str(root / rel_path), np.zeros((8, 4, 3), np.uint8))
                    f.write(f'{rel_path} {label}\n')
    return str(root)


def test_train_split_relabels_and_sets_modality_and_camera(regdb_root):
    cfg = dict(type='RegDBDataset', data_root=regdb_root, trial=2, split='train')
    dataset = DATASETS.build(cfg)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [i['rel_path'] for i in infos] == \
        [p for m in ('visible', 'thermal') for p, _ in LISTS['train'][m]]
    label_of = {3: 0, 12: 1, 40: 2}
    for info in infos:
        visible = info['rel_path'].startswith('Visible')
        assert (info['modality'], info['camera']) == ((0, 1) if visible else (1, 2))
        assert info['gt_label'] == label_of[info['pid']]
        assert info['img_path'] == osp.join(osp.abspath(regdb_root), info['rel_path'])
        assert cv2.imread(info['img_path']) is not None


def test_test_split_keeps_listed_labels(regdb_root):
    dataset = RegDBDataset(data_root=regdb_root, trial=2, split='test', pipeline=[])
    infos = [dataset[i] for i in range(len(dataset))]
    assert [(i['rel_path'], i['gt_label'], i['pid']) for i in infos] == \
        [(p, label, label) for m in ('visible', 'thermal') for p, label in LISTS['test'][m]]
    assert [i['modality'] for i in infos] == [0, 0, 1, 1, 1]


@pytest.mark.parametrize('trial', [0, 11, '1', True, 2.0])
def test_trial_outside_1_to_10_is_refused(regdb_root, trial):
    with pytest.raises(ValueError, match=f'trial must be an int in 1..10, got {trial!r}'):
        RegDBDataset(data_root=regdb_root, trial=trial)


def test_missing_list_file_names_it(regdb_root):
    with pytest.raises(FileNotFoundError, match=r'idx/train_visible_3.txt does not exist'):
        RegDBDataset(data_root=regdb_root, trial=3)
    with pytest.raises(FileNotFoundError, match='RegDB data root'):
        RegDBDataset(data_root=regdb_root + '_absent', trial=2)


@pytest.mark.parametrize('bad_line', ['Thermal/3/t_3_1.bmp', 'Thermal/3/t_3_1.bmp three', 'a b 3'])
def test_malformed_line_names_file_and_line(regdb_root, bad_line):
    list_file = osp.join(regdb_root, 'idx', 'train_thermal_2.txt')
    with open(list_file, 'a') as f:
        f.write(bad_line + '\n')
    message = 'train_thermal_2.txt, line 3: expected "relative/path label"'
    with pytest.raises(ValueError, match=message):
        RegDBDataset(data_root=regdb_root, trial=2)


def test_val_split_is_a_seeded_fraction_of_the_training_ids(regdb_root):
    def infos(**kwargs):
        dataset = RegDBDataset(data_root=regdb_root, trial=2, pipeline=[], **kwargs)
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    train = infos(split='train')
    val = infos(split='val', val_fraction=0.34)  # one id of 3
    held = infos(split='train', hold_out_val=True, val_fraction=0.34)
    val_ids = {i['pid'] for i in val}
    assert val_ids == set(random.Random(0).sample([3, 12, 40], 1))  # the documented draw
    assert all(i['gt_label'] == i['pid'] for i in val)
    assert {i['pid'] for i in held} == {3, 12, 40} - val_ids
    assert sorted({i['gt_label'] for i in held}) == [0, 1]
    assert sorted(i['rel_path'] for i in val + held) == sorted(i['rel_path'] for i in train)
    with pytest.raises(ValueError, match=r'val_fraction=0.1 of 3 training ids holds out 0'):
        infos(split='val', val_fraction=0.1)
