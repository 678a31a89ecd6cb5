"""The synthetic VI-ReID generator: exact layouts, modalities, pose cache, real counts, identity."""
import hashlib
import inspect
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from scipy.io import loadmat

from conftest import REPO, SYSU_PROTOCOL_DIR, load_tool_module
from vireid_toolbox.datasets import RegDBDataset, SYSUMM01Dataset
from vireid_toolbox.datasets.pose_cache import open_pose_cache
from vireid_toolbox.datasets.synthetic import make_synthetic_regdb, make_synthetic_sysu_mm01
from vireid_toolbox.datasets.synthetic.body import sample_identities
from vireid_toolbox.datasets.synthetic.layout import (SYNTHETIC_POSE_MODEL, SYSU_CAMERAS,
                                                      sysu_split_from_counts)
from vireid_toolbox.datasets.synthetic.render import layout_series, make_camera, sample_poses
from vireid_toolbox.datasets.sysu_mm01 import sysu_image_counts

NUM_IDS, PER_CAMERA, SIZE = 12, 3, (128, 64)


@pytest.fixture(scope='module')
def sysu_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic') / 'sysu')
    make_synthetic_sysu_mm01(root, num_ids=NUM_IDS, images_per_camera=PER_CAMERA, size=SIZE,
                             seed=0)
    return root


def read_ids(path):
    with open(path) as f:
        text = f.read()
    assert re.fullmatch(r'\d+(,\d+)*\n', text), f'{path}: {text!r}'
    return [int(v) for v in text.split(',')]


def tree(root):
    """Every file under root, relative, sorted."""
    return sorted(osp.relpath(osp.join(folder, name), root)
                  for folder, _, names in os.walk(root) for name in names)


def test_sysu_layout_is_the_release_layout(sysu_root):
    assert sorted(os.listdir(sysu_root)) == ['cam1', 'cam2', 'cam3', 'cam4', 'cam5', 'cam6',
                                             'exp', 'pose_cache']
    images = [p for p in tree(sysu_root) if p.startswith('cam')]
    expected = [f'cam{c}/{pid:04d}/{k:04d}.jpg' for c in range(1, 7)
                for pid in range(1, NUM_IDS + 1) for k in range(1, PER_CAMERA + 1)]
    assert images == expected
    assert sorted(os.listdir(osp.join(sysu_root, 'exp'))) == ['test_id.txt', 'train_id.txt',
                                                              'val_id.txt']
    split = {name: read_ids(osp.join(sysu_root, 'exp', f'{name}_id.txt'))
             for name in ('train', 'val', 'test')}
    assert all(ids == sorted(ids) and ids for ids in split.values())
    # default split: a sixth test and a sixth val ids
    assert [len(split[k]) for k in ('train', 'val', 'test')] == [8, 2, 2]
    assert sorted(sum(split.values(), [])) == list(range(1, NUM_IDS + 1))  # disjoint, complete
    img = cv2.imread(osp.join(sysu_root, images[0]))
    assert img.shape == SIZE + (3, )
    # the data-set class reads it: train = train + val ids, every camera
    dataset = SYSUMM01Dataset(data_root=sysu_root, split='train')
    assert len(dataset) == (len(split['train']) + len(split['val'])) * 6 * PER_CAMERA
    assert {dataset.get_data_info(i)['modality'] for i in range(len(dataset))} == {0, 1}


def test_visible_has_colour_and_infrared_three_equal_channels(sysu_root):
    for cam in range(1, 7):
        for pid in (1, NUM_IDS):
            img = cv2.imread(osp.join(sysu_root, f'cam{cam}', f'{pid:04d}', '0001.jpg'))
            img = img.astype(np.int16)
            if cam in (3, 6):
                assert np.array_equal(img[..., 0], img[..., 1])
                assert np.array_equal(img[..., 1], img[..., 2])
            else:
                assert np.abs(img[..., 0] - img[..., 2]).mean() > 5  # really coloured


def test_pose_cache_matches_the_images(sysu_root):
    cache = open_pose_cache(osp.join(sysu_root, 'pose_cache'), SYNTHETIC_POSE_MODEL)
    assert cache.image_paths == [p for p in tree(sysu_root) if p.startswith('cam')]
    assert cache.meta['num_joints'] == 16 and cache.meta['joint_order'] == 'mpii'
    hm_w, hm_h = cache.meta['heatmap_size']
    assert (hm_w, hm_h) == (SIZE[1] // 4, SIZE[0] // 4)
    keypoints = np.asarray(cache.keypoints)
    height, width = SIZE
    assert np.all(keypoints[..., 0] >= 0) and np.all(keypoints[..., 0] <= width - 1)
    assert np.all(keypoints[..., 1] >= 0) and np.all(keypoints[..., 1] <= height - 1)
    assert np.all(keypoints[..., 2] == 1)
    # head above thorax above pelvis above the ankles: upright people
    assert np.all(keypoints[:, 9, 1] < keypoints[:, 7, 1])
    assert np.all(keypoints[:, 7, 1] < keypoints[:, 6, 1])
    assert np.all(keypoints[:, 6, 1] < keypoints[:, [0, 5], 1].min(1))
    for row in range(0, len(cache), 37):
        maps = np.asarray(cache.heatmaps[row], dtype=np.float32)
        for j in range(16):
            y, x = np.unravel_index(np.argmax(maps[j]), maps[j].shape)
            kx, ky = (keypoints[row, j, :2] + 0.5) * (hm_w / width, hm_h / height) - 0.5
            assert abs(x - kx) <= 0.5 + 1e-3 and abs(y - ky) <= 0.5 + 1e-3


def test_joints_sit_on_the_drawn_person():
    """Every written joint lands on a painted body pixel of the drawing (not the background)."""
    rng = np.random.default_rng(0)
    people = sample_identities(list(range(1, 21)), rng)
    supersample = 2
    for cam, (modality, outdoor) in SYSU_CAMERAS.items():
        camera = make_camera(cam, modality, outdoor, SIZE, supersample, rng)
        for person in people:
            for layout in layout_series(person, sample_poses(camera, 3, rng), camera, SIZE,
                                        supersample, rng):
                xy = np.round((layout.keypoints[:, :2] + 0.5) * supersample - 0.5).astype(int)
                assert np.all(layout.mask[xy[:, 1], xy[:, 0]] > 0)


def test_generation_is_deterministic(tmp_path):
    kwargs = dict(num_ids=4, images_per_camera=2, size=(32, 16))
    make_synthetic_sysu_mm01(str(tmp_path / 'a'), seed=7, **kwargs)
    make_synthetic_sysu_mm01(str(tmp_path / 'b'), seed=7, workers=2, **kwargs)
    make_synthetic_sysu_mm01(str(tmp_path / 'c'), seed=8, **kwargs)

    def digests(root):
        return {p: hashlib.md5(open(osp.join(root, p), 'rb').read()).hexdigest()
                for p in tree(root)}

    a, b, c = (digests(str(tmp_path / name)) for name in 'abc')
    assert a == b  # same seed: same bytes, whatever the number of processes
    assert a.keys() == c.keys() and a != c


def test_counts_reproduce_the_real_counts_on_a_subset(tmp_path):
    counts = sysu_image_counts(osp.join(SYSU_PROTOCOL_DIR, 'rand_perm_cam.mat'))
    train_ids = loadmat(osp.join(SYSU_PROTOCOL_DIR, 'train_id.mat'))['id'].ravel().tolist()
    test_ids = loadmat(osp.join(SYSU_PROTOCOL_DIR, 'test_id.mat'))['id'].ravel().tolist()
    split = sysu_split_from_counts(counts, train_ids, test_ids)
    assert [len(split[k]) for k in ('train', 'val', 'test')] == [296, 99, 96]
    one_modality = sorted({pid for _, pid in counts} - set(sum(split.values(), [])))
    subset = split['train'][:2] + split['val'][:1] + split['test'][:2] + one_modality[:1]
    result = make_synthetic_sysu_mm01(str(tmp_path / 'real'), size=(32, 16), counts=counts,
                                      train_ids=train_ids, test_ids=test_ids, only_ids=subset,
                                      pose_cache=False)
    root = str(tmp_path / 'real')
    for cam in range(1, 7):
        for pid in subset:
            folder = osp.join(root, f'cam{cam}', f'{pid:04d}')
            n = counts.get((cam, pid), 0)
            if n:
                assert sorted(os.listdir(folder)) == [f'{k:04d}.jpg' for k in range(1, n + 1)]
            else:
                assert not osp.exists(folder)
    assert result['num_images'] == sum(counts.get((c, p), 0) for c in range(1, 7) for p in subset)
    assert read_ids(osp.join(root, 'exp', 'train_id.txt')) == split['train'][:2]
    assert read_ids(osp.join(root, 'exp', 'val_id.txt')) == split['val'][:1]
    assert read_ids(osp.join(root, 'exp', 'test_id.txt')) == split['test'][:2]
    assert cv2.imread(osp.join(root, result['image_paths'][0])).shape == (32, 16, 3)
    with pytest.raises(ValueError, match='leaves no val id'):
        make_synthetic_sysu_mm01(str(tmp_path / 'no_val'), size=(32, 16), counts=counts,
                                 train_ids=train_ids, test_ids=test_ids,
                                 only_ids=split['train'][:1] + split['test'][:1])


def hog_features(paths):
    hog = cv2.HOGDescriptor((64, 128), (16, 16), (8, 8), (8, 8), 9)
    feats = np.stack([hog.compute(cv2.resize(cv2.imread(p, cv2.IMREAD_GRAYSCALE), (64, 128)))
                      .ravel() for p in paths])
    return feats / np.linalg.norm(feats, axis=1, keepdims=True)


def test_identities_are_recognisable_across_modalities(sysu_root):
    """Nearest neighbour on HOG (shape and texture, no colour): infrared queries find their
    identity among visible images far more often than chance."""
    def images(cams):
        paths = [osp.join(sysu_root, f'cam{c}', f'{pid:04d}', f'{k:04d}.jpg') for c in cams
                 for pid in range(1, NUM_IDS + 1) for k in range(1, PER_CAMERA + 1)]
        return paths, np.array([int(p.split(os.sep)[-2]) for p in paths])

    query_paths, query_ids = images((3, 6))
    gallery_paths, gallery_ids = images((1, 2, 4, 5))
    similarity = hog_features(query_paths) @ hog_features(gallery_paths).T
    rank1 = np.mean(gallery_ids[np.argmax(similarity, 1)] == query_ids)
    assert rank1 >= 2.5 / NUM_IDS, rank1


def test_regdb_layout(tmp_path):
    root = str(tmp_path / 'regdb')
    result = make_synthetic_regdb(root, num_ids=6, images_per_id=2, num_trials=3, size=(32, 16))
    assert sorted(os.listdir(root)) == ['Thermal', 'Visible', 'idx', 'pose_cache']
    assert sorted(os.listdir(osp.join(root, 'idx'))) == sorted(
        f'{part}_{m}_{t}.txt' for part in ('train', 'test') for m in ('visible', 'thermal')
        for t in (1, 2, 3))
    assert result['num_images'] == 6 * 2 * 2
    for pid in range(1, 7):
        visible = sorted(os.listdir(osp.join(root, 'Visible', str(pid))))
        thermal = sorted(os.listdir(osp.join(root, 'Thermal', str(pid))))
        assert all(re.fullmatch(rf'(male|female)_(front|back)_v_\d{{5}}_{pid}\.bmp', n)
                   for n in visible)
        assert [n.replace('_v_', '_t_') for n in visible] == thermal  # same instants
        img = cv2.imread(osp.join(root, 'Thermal', str(pid), thermal[0]))
        assert img.shape == (32, 16, 3) and np.array_equal(img[..., 0], img[..., 2])
    for trial in (1, 2, 3):
        ids = {}
        for part in ('train', 'test'):
            for modality in ('visible', 'thermal'):
                with open(osp.join(root, 'idx', f'{part}_{modality}_{trial}.txt')) as f:
                    lines = [line.split(' ') for line in f.read().splitlines()]
                assert all(osp.isfile(osp.join(root, path)) for path, _ in lines)
                pids = sorted({int(path.split('/')[1]) for path, _ in lines})
                labels = {int(path.split('/')[1]): int(label) for path, label in lines}
                assert [labels[p] for p in pids] == list(range(len(pids)))
                ids.setdefault(part, pids)
                assert ids[part] == pids  # both modalities list the same ids
        assert len(ids['train']) == 3 and not set(ids['train']) & set(ids['test'])
    cache = open_pose_cache(osp.join(root, 'pose_cache'), SYNTHETIC_POSE_MODEL)
    pair = [cache.lookup(p) for p in result['image_paths'][:2]]
    assert result['image_paths'][1] == result['image_paths'][0].replace('Visible', 'Thermal') \
        .replace('_v_', '_t_')
    np.testing.assert_array_equal(cache.keypoints[pair[0]], cache.keypoints[pair[1]])
    assert len(RegDBDataset(data_root=root, trial=1, split='train')) == 3 * 2 * 2


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match=r'size must be \(height, width\)'):
        make_synthetic_sysu_mm01(str(tmp_path / 'x'), size=(4, 2))
    with pytest.raises(ValueError, match='counts mode needs train_ids and test_ids'):
        make_synthetic_sysu_mm01(str(tmp_path / 'x'), counts={(1, 1): 2})
    with pytest.raises(ValueError, match=r'counts name cameras \[7\]'):
        make_synthetic_sysu_mm01(str(tmp_path / 'x'), counts={(7, 1): 2}, train_ids=[1],
                                 test_ids=[])
    with pytest.raises(ValueError, match='num_test_ids and num_val_ids must be >= 1'):
        make_synthetic_sysu_mm01(str(tmp_path / 'x'), num_ids=12, num_val_ids=0)
    with pytest.raises(ValueError, match='leaves no training id'):
        make_synthetic_sysu_mm01(str(tmp_path / 'x'), num_ids=4, num_test_ids=2, num_val_ids=2)


def test_command_line_tool(tmp_path, capsys):
    out = str(tmp_path / 'cli')
    tool = osp.join(REPO, 'tools', 'misc', 'make_synthetic_dataset.py')
    args = ['--out', out, '--num-ids', '4', '--images-per-camera', '1', '--size', '32x16',
            '--no-pose-cache']
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, os.environ.get(
        'PYTHONPATH')])))
    done = subprocess.run([sys.executable, tool, *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert 'wrote 24 images' in done.stdout
    assert sorted(os.listdir(out)) == ['cam1', 'cam2', 'cam3', 'cam4', 'cam5', 'cam6', 'exp']
    # the same tool in-process: a second run into the same folder is refused with one message
    module = load_tool_module('tools/misc/make_synthetic_dataset.py')
    assert module.main(args) == 2
    assert f'error: {out} is not empty' in capsys.readouterr().err
    assert module.main([*args, '--overwrite']) == 0
    with pytest.raises(SystemExit):
        module.main(['--out', out, '--size', '32by16'])


@pytest.mark.parametrize('config', [
    'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py',
    'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py',
    'configs/admpff_net/admpff-net_r18_1xb16-4e_synthetic-sysu-mm01-96x48.py',
])
def test_synthetic_configs_classify_the_default_sets_training_ids(config):
    """The generator's default split and the synthetic configs' heads must change together."""
    from mmengine.config import Config

    from vireid_toolbox.datasets.synthetic.layout import _default_sysu_split
    num_ids = inspect.signature(make_synthetic_sysu_mm01).parameters['num_ids'].default
    split = _default_sysu_split(num_ids, None, None, seed=0)
    assert len(split['test']) == 16  # chance rank-1 of the demo table: 1/16
    head = Config.fromfile(osp.join(REPO, config)).model.head
    assert head.num_classes == len(split['train']) + len(split['val'])
