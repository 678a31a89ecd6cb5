"""LLCM: training lists, test identity folders, and the DEEN query/gallery protocol."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest

from vireid_toolbox.datasets.llcm import LLCMDataset, llcm_camera, llcm_gallery, llcm_query
from vireid_toolbox.registry import DATASETS

TRAIN = {
    'train_vis.txt': [('vis/0010/0010_c04_s1_f2_vis.jpg', 10),
                      ('vis/0002/0002_c01_s1_f3_vis.jpg', 2)],
    'train_nir.txt': [('nir/0010/0010_c07_s9_f1_nir.jpg', 10),
                      ('nir/0002/0002_c02_s1_f4_nir.jpg', 2)],
}
TEST_IDS = [21, 5, 13]
# (modality folder, camera, id) -> images
TEST_COUNTS = {
    ('test_vis', 1, 5): 3, ('test_vis', 3, 5): 2, ('test_vis', 9, 5): 4, ('test_vis', 2, 13): 1,
    ('test_vis', 3, 21): 5, ('test_vis', 4, 21): 2,
    ('test_nir', 1, 5): 2, ('test_nir', 2, 13): 3, ('test_nir', 4, 21): 1, ('test_nir', 9, 21): 2,
}


def write_jpeg(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, np.zeros((8, 4, 3), np.uint8))


@pytest.fixture
def llcm_root(tmp_path):
    root = str(tmp_path / 'LLCM')
    os.makedirs(osp.join(root, 'idx'))
    for list_name, entries in TRAIN.items():
        with open(osp.join(root, 'idx', list_name), 'w') as f:
            for rel_path, label in entries:
                write_jpeg(osp.join(root, rel_path))
                f.write(f'{rel_path} {label}\n')
    with open(osp.join(root, 'idx', 'test_id.txt'), 'w') as f:
        f.write(','.join(map(str, TEST_IDS)))
    for (folder, camera, pid), n in TEST_COUNTS.items():
        for i in range(n):
            write_jpeg(osp.join(root, folder, f'cam{camera}', f'{pid:04d}',
                                f'{pid:04d}_c{camera:02d}_s1_f{i}.jpg'))
    return root


def deen_items(root, files):
    """DEEN's parse: camera split('cam')[1][0], id [2:6] (here of the root-relative path)."""
    rel = [osp.relpath(f, root) for f in files]
    return [(f, int(r.split('cam')[1][2:6]), int(r.split('cam')[1][0])) for f, r in zip(files, rel)]


def deen_folders(root, mode):
    if mode == 1:
        return [f'test_vis/cam{c}' for c in range(1, 10)]
    return [f'test_nir/cam{c}' for c in (1, 2, 4, 5, 6, 7, 8, 9)]


def deen_query(root, mode):
    """process_query_llcm of the DEEN code."""
    files = []
    for pid in sorted('%04d' % x for x in TEST_IDS):
        for cam in deen_folders(root, mode):
            img_dir = os.path.join(root, cam, pid)
            if os.path.isdir(img_dir):
                files.extend(sorted([img_dir + '/' + i for i in os.listdir(img_dir)]))
    return deen_items(root, files)


def deen_gallery(root, mode, trial):
    """process_gallery_llcm of the DEEN code."""
    random.seed(trial)
    files = []
    for pid in sorted('%04d' % x for x in TEST_IDS):
        for cam in deen_folders(root, mode):
            img_dir = os.path.join(root, cam, pid)
            if os.path.isdir(img_dir):
                new_files = sorted([img_dir + '/' + i for i in os.listdir(img_dir)])
                files.append(random.choice(new_files))
    return deen_items(root, files)


def test_camera_from_folder_or_file_name():
    assert llcm_camera('test_nir/cam7/0005/0005_c07_s1_f1_nir.jpg') == 7
    assert llcm_camera('nir/0010/0010_c08_s9_f1_nir.jpg') == 8
    assert llcm_camera('nir/0010/picture.jpg') is None


def test_train_split_reads_both_lists_and_relabels(llcm_root):
    dataset = DATASETS.build(dict(type='LLCMDataset', data_root=llcm_root, split='train'))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    got = [(i['rel_path'], i['pid'], i['gt_label'], i['modality'], i['camera']) for i in infos]
    assert got == [('vis/0010/0010_c04_s1_f2_vis.jpg', 10, 1, 0, 4),
                   ('vis/0002/0002_c01_s1_f3_vis.jpg', 2, 0, 0, 1),
                   ('nir/0010/0010_c07_s9_f1_nir.jpg', 10, 1, 1, 7),
                   ('nir/0002/0002_c02_s1_f4_nir.jpg', 2, 0, 1, 2)]
    assert all(cv2.imread(i['img_path']) is not None for i in infos)


def test_train_entry_without_camera_is_refused(llcm_root):
    with open(osp.join(llcm_root, 'idx', 'train_nir.txt'), 'a') as f:
        f.write('nir/0002/picture.jpg 2\n')
    with pytest.raises(ValueError, match=r"train_nir.txt: no camera in 'nir/0002/picture.jpg'"):
        LLCMDataset(data_root=llcm_root)


def test_test_split_holds_every_test_image_with_camera_and_raw_id(llcm_root):
    dataset = LLCMDataset(data_root=llcm_root, split='test', pipeline=[])
    infos = [dataset[i] for i in range(len(dataset))]
    expected = sorted((folder == 'test_nir', cam, pid)
                      for (folder, cam, pid), n in TEST_COUNTS.items() for _ in range(n))
    assert sorted((i['modality'] == 1, i['camera'], i['gt_label']) for i in infos) == expected
    assert all(i['pid'] == i['gt_label'] and i['rel_path'].startswith('test_') for i in infos)


def test_missing_test_id_folder_or_file(llcm_root):
    with open(osp.join(llcm_root, 'idx', 'test_id.txt'), 'w') as f:
        f.write('5,13,21,30')
    with pytest.raises(FileNotFoundError, match='test id 30 has no image'):
        LLCMDataset(data_root=llcm_root, split='test')
    os.remove(osp.join(llcm_root, 'idx', 'test_id.txt'))
    with pytest.raises(FileNotFoundError, match='test_id.txt does not exist'):
        LLCMDataset(data_root=llcm_root, split='test')
    with pytest.raises(FileNotFoundError, match='LLCM data root'):
        llcm_query(llcm_root + '_absent')


@pytest.mark.parametrize('query_modality, deen_mode', [(1, 2), (0, 1)])
def test_query_and_gallery_replay_deen(llcm_root, query_modality, deen_mode):
    gallery_modality, gallery_mode = 1 - query_modality, 3 - deen_mode
    assert llcm_query(llcm_root, query_modality) == deen_query(llcm_root, deen_mode)
    draws = []
    for trial in range(10):
        state = random.getstate()
        draws.append(llcm_gallery(llcm_root, gallery_modality, trial))
        assert random.getstate() == state, 'the draw must not touch the global random state'
        assert draws[-1] == deen_gallery(llcm_root, gallery_mode, trial)
    assert len({tuple(d) for d in draws}) > 1


def test_val_split_is_a_seeded_fraction_of_the_training_ids(llcm_root):
    def infos(**kwargs):
        dataset = LLCMDataset(data_root=llcm_root, pipeline=[], **kwargs)
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    val = infos(split='val', val_fraction=0.5)
    held = infos(split='train', hold_out_val=True, val_fraction=0.5)
    val_ids = {i['pid'] for i in val}
    assert val_ids == set(random.Random(0).sample([2, 10], 1))  # the documented draw
    assert all(i['gt_label'] == i['pid'] and i['camera'] for i in val)
    assert {i['pid'] for i in held} == {2, 10} - val_ids
    assert {i['gt_label'] for i in held} == {0}
    assert len(val) + len(held) == len(infos(split='train'))
