"""SYSU-MM01: data set from the raw layout, query set, seeded and official gallery draws."""
import os
import os.path as osp
import random

import cv2
import numpy as np
import pytest

from vireid_toolbox.datasets.sysu_mm01 import (SYSUMM01Dataset, load_rand_perm, sysu_gallery,
                                               sysu_image_counts, sysu_query)
from conftest import SYSU_PROTOCOL_DIR
from vireid_toolbox.registry import DATASETS

RAND_PERM = osp.join(SYSU_PROTOCOL_DIR, 'rand_perm_cam.mat')

TRAIN_IDS, VAL_IDS, TEST_IDS = [4, 1, 2], [5], [7, 3, 8]
# images per (camera, id); a missing key means no folder
TINY_COUNTS = {
    (1, 1): 2, (3, 1): 1, (4, 2): 3, (6, 2): 2, (2, 4): 1, (3, 4): 2, (5, 5): 1, (6, 5): 1,
    (1, 3): 3, (2, 3): 12, (4, 3): 2, (3, 3): 2, (6, 3): 3,
    (5, 7): 4, (3, 7): 2,
    (1, 8): 1, (2, 8): 2, (4, 8): 5, (5, 8): 11, (6, 8): 2,
}


def write_ids(path, ids):
    with open(path, 'w') as f:
        f.write(','.join(str(i) for i in ids) + '\n')


def make_sysu_tree(root, counts, train_ids, val_ids, test_ids, make_image):
    for camera in range(1, 7):
        os.makedirs(osp.join(root, f'cam{camera}'), exist_ok=True)
    for (camera, pid), n in counts.items():
        folder = osp.join(root, f'cam{camera}', f'{pid:04d}')
        os.makedirs(folder, exist_ok=True)
        for i in range(1, n + 1):
            make_image(osp.join(folder, f'{i:04d}.jpg'))
    os.makedirs(osp.join(root, 'exp'), exist_ok=True)
    write_ids(osp.join(root, 'exp', 'train_id.txt'), train_ids)
    write_ids(osp.join(root, 'exp', 'val_id.txt'), val_ids)
    write_ids(osp.join(root, 'exp', 'test_id.txt'), test_ids)
    return str(root)


def write_jpeg(path):
    cv2.imwrite(path, np.full((8, 4, 3), 128, dtype=np.uint8))


def touch(path):
    open(path, 'wb').close()


@pytest.fixture
def sysu_root(tmp_path):
    return make_sysu_tree(tmp_path / 'sysu', TINY_COUNTS, TRAIN_IDS, VAL_IDS, TEST_IDS, write_jpeg)


def walk_images(root, cameras, pids):
    """Brute force: every file under cam*/<id>/ for the given cameras and ids."""
    found = []
    for dirpath, _, names in os.walk(root):
        parts = osp.relpath(dirpath, root).split(os.sep)
        if len(parts) == 2 and parts[0].startswith('cam'):
            camera, pid = int(parts[0][3:]), int(parts[1])
            if camera in cameras and pid in pids:
                found += [(osp.join(dirpath, n), pid, camera) for n in names]
    return found


def reference_gallery(data_path, mode, trial, shots):
    """The community reference draw (AGW process_gallery_sysu; multi-shot with random.sample)."""
    random.seed(trial)
    cameras = ['cam1', 'cam2', 'cam4', 'cam5'] if mode == 'all' else ['cam1', 'cam2']
    with open(os.path.join(data_path, 'exp/test_id.txt')) as file:
        ids = ['%04d' % int(y) for y in file.read().splitlines()[0].split(',')]
    files = []
    for pid in sorted(ids):
        for cam in cameras:
            img_dir = os.path.join(data_path, cam, pid)
            if os.path.isdir(img_dir):
                new_files = sorted([img_dir + '/' + i for i in os.listdir(img_dir)])
                if shots == 1:
                    files.append(random.choice(new_files))
                else:
                    files.extend(random.sample(new_files, min(shots, len(new_files))))
    return [(f, int(f[-13:-9]), int(f[-15])) for f in files]


def test_train_split_relabels_train_and_val_ids(sysu_root):
    dataset = DATASETS.build(dict(type='SYSUMM01Dataset', data_root=sysu_root, split='train'))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    expected = walk_images(sysu_root, range(1, 7), TRAIN_IDS + VAL_IDS)
    assert sorted((i['img_path'], i['pid'], i['camera']) for i in infos) == sorted(expected)
    label_of = {1: 0, 2: 1, 4: 2, 5: 3}
    for info in infos:
        assert info['gt_label'] == label_of[info['pid']]
        assert info['modality'] == (1 if info['camera'] in (3, 6) else 0)
        assert osp.isabs(info['img_path'])
        assert info['rel_path'] == f'cam{info["camera"]}/{info["pid"]:04d}/' + \
            osp.basename(info['img_path'])
        assert cv2.imread(info['img_path']).shape == (8, 4, 3)
    # reference order: ids ascending, cameras ascending, files sorted
    keys = [(i['pid'], i['camera'], i['img_path']) for i in infos]
    assert keys == sorted(keys)


def test_test_split_keeps_raw_ids_in_all_six_cameras(sysu_root):
    dataset = SYSUMM01Dataset(data_root=sysu_root, split='test', pipeline=[])
    infos = [dataset[i] for i in range(len(dataset))]
    assert sorted((i['img_path'], i['pid'], i['camera']) for i in infos) == \
        sorted(walk_images(sysu_root, range(1, 7), TEST_IDS))
    assert all(i['gt_label'] == i['pid'] for i in infos)
    assert {i['camera'] for i in infos} == {1, 2, 3, 4, 5, 6}


def test_lazy_init_defers_reading(tmp_path):
    dataset = SYSUMM01Dataset(data_root=str(tmp_path / 'absent'), lazy_init=True)
    with pytest.raises(FileNotFoundError, match='absent'):
        dataset.full_init()


@pytest.mark.parametrize('breakage, match', [
    (lambda root: os.rename(root, root + '_moved'), 'data root .*sysu does not exist'),
    (lambda root: os.remove(osp.join(root, 'exp', 'val_id.txt')), 'val_id.txt does not exist'),
    (lambda root: write_ids(osp.join(root, 'exp', 'train_id.txt'), [1, 2, 4, 99]), 'id 99 '),
    (lambda root: os.makedirs(osp.join(root, 'cam7')), "'cam7' is not one of cam1..cam6"),
    (lambda root: os.rename(osp.join(root, 'cam5'), osp.join(root, 'old5')), 'cam5 does not exist'),
    (lambda root: write_ids(osp.join(root, 'exp', 'train_id.txt'), ['1', 'x2']), "'x2' is not"),
])
def test_bad_layout_gives_one_clear_error(sysu_root, breakage, match):
    breakage(sysu_root)
    with pytest.raises((FileNotFoundError, ValueError), match=match):
        SYSUMM01Dataset(data_root=sysu_root, split='train')


def test_bad_arguments(sysu_root):
    with pytest.raises(ValueError, match="'validation'"):
        SYSUMM01Dataset(data_root=sysu_root, split='validation')
    with pytest.raises(ValueError, match="'train'"):
        sysu_query(sysu_root, split='train')
    with pytest.raises(ValueError, match="'outdoor'"):
        sysu_gallery(sysu_root, mode='outdoor')
    with pytest.raises(ValueError, match="'matlab'"):
        sysu_gallery(sysu_root, draw='matlab')
    with pytest.raises(ValueError, match='shots'):
        sysu_gallery(sysu_root, shots=0)


def test_query_is_every_infrared_test_image_in_reference_order(sysu_root):
    query = sysu_query(sysu_root)
    assert sorted(query) == sorted(walk_images(sysu_root, (3, 6), TEST_IDS))
    assert [(pid, cam, path) for path, pid, cam in query] == \
        sorted((pid, cam, path) for path, pid, cam in query)


@pytest.mark.parametrize('mode', ['all', 'indoor'])
@pytest.mark.parametrize('shots', [1, 10])
def test_seeded_gallery_replays_reference_file_for_file(sysu_root, mode, shots):
    for trial in range(10):
        state = random.getstate()
        gallery = sysu_gallery(sysu_root, mode, trial, shots)
        assert random.getstate() == state, 'the draw must not touch the global random state'
        assert gallery == reference_gallery(osp.abspath(sysu_root), mode, trial, shots)


def test_seeded_gallery_is_deterministic_per_trial_and_varies_across_trials(sysu_root):
    draws = [tuple(sysu_gallery(sysu_root, 'all', trial)) for trial in range(10)]
    assert draws == [tuple(sysu_gallery(sysu_root, 'all', trial)) for trial in range(10)]
    assert len(set(draws)) > 1
    cells = {(pid, cam) for _, pid, cam in draws[0]}
    assert cells == {(pid, cam) for (cam, pid) in TINY_COUNTS
                     if pid in TEST_IDS and cam in (1, 2, 4, 5)}


# --- the official draw, against the real rand_perm_cam.mat ----------------------------------


@pytest.fixture(scope='module')
def real_rand_perm():
    from scipy.io import loadmat
    cells = loadmat(RAND_PERM)['rand_perm_cam']
    test_ids = loadmat(osp.join(SYSU_PROTOCOL_DIR, 'test_id.mat'))['id'].ravel().tolist()
    return cells, sorted(test_ids)


@pytest.fixture(scope='module')
def real_count_root(tmp_path_factory, real_rand_perm):
    """Empty files with the real per-(camera, id) counts of the test ids' visible cameras."""
    _, test_ids = real_rand_perm
    counts = {(cam, pid): n for (cam, pid), n in sysu_image_counts(RAND_PERM).items()
              if pid in test_ids and cam in (1, 2, 4, 5)}
    root = tmp_path_factory.mktemp('sysu_real_counts') / 'sysu'
    return make_sysu_tree(root, counts, [1], [2], test_ids, touch)


def test_rand_perm_structure(real_rand_perm):
    cells, _ = real_rand_perm
    assert cells.shape == (6, 1)
    perms = load_rand_perm(RAND_PERM)
    assert {perm.shape[0] for perm in perms.values()} == {10}, 'ten trials'
    for perm in perms.values():
        assert (np.sort(perm, axis=1) == np.arange(1, perm.shape[1] + 1)).all()
    counts = sysu_image_counts(RAND_PERM)
    assert sum(counts.values()) == 45863  # 30,071 visible + 15,792 infrared images


def test_image_counts_reproduce_protocol_sizes(real_rand_perm):
    _, test_ids = real_rand_perm
    counts = sysu_image_counts(RAND_PERM)
    test = {key: n for key, n in counts.items() if key[1] in test_ids}
    assert sum(n for (cam, _), n in test.items() if cam in (3, 6)) == 3803
    assert sum(1 for (cam, _) in test if cam in (1, 2, 4, 5)) == 301
    assert sum(min(10, n) for (cam, _), n in test.items() if cam in (1, 2, 4, 5)) == 3010
    assert sum(1 for (cam, _) in test if cam in (1, 2)) == 112


@pytest.mark.parametrize('mode, shots, size',
                         [('all', 1, 301), ('all', 10, 3010), ('indoor', 1, 112)])
def test_official_draw_follows_rand_perm_rows(real_count_root, real_rand_perm, mode, shots, size):
    cells, test_ids = real_rand_perm
    cameras = (1, 2, 4, 5) if mode == 'all' else (1, 2)
    for trial in (0, 9):
        gallery = sysu_gallery(real_count_root, mode, trial, shots, draw='official',
                               rand_perm_file=RAND_PERM)
        assert len(gallery) == size
        expected = [(cam, pid, int(index)) for cam in cameras for pid in test_ids
                    for index in cells[cam - 1, 0][pid - 1, 0][trial, :shots]]
        # the release names image i of a (camera, id) folder %04d.jpg, so the file is the index
        assert [(cam, pid, int(osp.basename(path)[:4])) for path, pid, cam in gallery] == expected
        assert all(osp.dirname(path).endswith(f'cam{cam}/{pid:04d}') for path, pid, cam in gallery)


def test_official_draw_refuses_a_tree_with_other_counts(real_count_root, real_rand_perm):
    with pytest.raises(ValueError, match='trial must be in 0..9'):
        sysu_gallery(real_count_root, trial=10, draw='official', rand_perm_file=RAND_PERM)
    with pytest.raises(FileNotFoundError, match='rand_perm_cam.mat'):
        sysu_gallery(real_count_root, draw='official')  # not in <root>/exp/
    _, test_ids = real_rand_perm
    folder = osp.join(real_count_root, 'cam1', f'{test_ids[0]:04d}')
    extra = osp.join(folder, '9999.jpg')
    touch(extra)
    try:
        with pytest.raises(ValueError, match=f'{folder} holds'):
            sysu_gallery(real_count_root, draw='official', rand_perm_file=RAND_PERM)
    finally:
        os.remove(extra)


def test_val_split_holds_the_official_val_ids_out_of_training(sysu_root):
    def infos(**kwargs):
        dataset = SYSUMM01Dataset(data_root=sysu_root, pipeline=[], **kwargs)
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    assert {i['pid'] for i in infos(split='train')} == set(TRAIN_IDS + VAL_IDS)
    held = infos(split='train', hold_out_val=True)
    assert {i['pid'] for i in held} == set(TRAIN_IDS)
    assert sorted({i['gt_label'] for i in held}) == list(range(len(TRAIN_IDS)))
    val = infos(split='val', test_mode=True)
    assert {i['pid'] for i in val} == set(VAL_IDS)
    assert all(i['gt_label'] == i['pid'] for i in val)
    # the protocol on the val ids: their infrared images query their visible gallery
    assert {(pid, camera) for _, pid, camera in sysu_query(sysu_root, split='val')} == {(5, 6)}
    assert [(pid, camera) for _, pid, camera in sysu_gallery(sysu_root, split='val')] == [(5, 5)]
