"""Write synthetic people as SYSU-MM01 and RegDB release trees, with a ground-truth pose cache.

SYSU-MM01 layout (as released)::

    cam1 .. cam6/<%04d id>/<%04d>.jpg   cams 1, 2, 4, 5 visible; 3, 6 infrared
    exp/train_id.txt, exp/val_id.txt, exp/test_id.txt   one line of comma-separated ids

RegDB layout (as released)::

    Visible/<id>/<gender>_<front|back>_v_<%05d>_<id>.bmp
    Thermal/<id>/<gender>_<front|back>_t_<%05d>_<id>.bmp   same number = same instant
    idx/{train,test}_{visible,thermal}_{1..10}.txt          lines ``relative/path label``

Both trees get ``pose_cache/`` (see :mod:`vireid_toolbox.datasets.pose_cache`)
holding the 16 MPII joints of the person actually drawn in each image, with
``pose_model={'name': 'synthetic-ground-truth'}``.

Everything is deterministic from ``seed``: identities, cameras and every
(camera, identity) image series draw from their own seeded generators, so the
output does not depend on the number of worker processes.
"""
import multiprocessing
import os
import os.path as osp
import shutil
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import cv2
import numpy as np

from vireid_toolbox.datasets.pose_cache import PoseCache, render_gaussian_heatmaps
from vireid_toolbox.structures.reid_data_sample import INFRARED, VISIBLE
from .body import NUM_JOINTS, sample_identities
from .render import (layout_series, make_camera, render, render_thermal, render_visible,
                     sample_poses)

SYSU_CAMERAS = {1: (VISIBLE, False), 2: (VISIBLE, False), 3: (INFRARED, False),
                4: (VISIBLE, True), 5: (VISIBLE, True), 6: (INFRARED, True)}
"""SYSU-MM01 camera -> (modality, outdoor)."""
SYNTHETIC_POSE_MODEL = {'name': 'synthetic-ground-truth'}
_SYSU_TREE = [f'cam{c}' for c in SYSU_CAMERAS] + ['exp', 'pose_cache']
_REGDB_TREE = ['Visible', 'Thermal', 'idx', 'pose_cache']
# seed-stream tags: every purpose draws from its own generator
_IDENTITIES, _CAMERAS, _IMAGES, _SPLIT = range(4)

_CONTEXT: dict = {}  # what worker processes need, set once per process


def _prepare_out_dir(out_dir: str, tree: Sequence[str], overwrite: bool) -> None:
    """Refuse to mix with an existing tree unless ``overwrite`` (then remove only ``tree``)."""
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if not overwrite:
            raise FileExistsError(f'{out_dir} is not empty; pass overwrite=True (--overwrite) '
                                  f'to replace its {", ".join(tree)}')
        for name in tree:
            path = osp.join(out_dir, name)
            if osp.isdir(path):
                shutil.rmtree(path)
    os.makedirs(out_dir, exist_ok=True)


def _check_size(size: Sequence[int]) -> Tuple[int, int]:
    if len(size) != 2 or min(size) < 8:
        raise ValueError(f'size must be (height, width), both >= 8 pixels, got {size!r}')
    return int(size[0]), int(size[1])


def _write_image(path: str, image: np.ndarray, jpeg_quality: int) -> None:
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if path.endswith('.jpg') else []
    if not cv2.imwrite(path, image, params):
        raise OSError(f'could not write {path}')


def _sysu_series(job: Tuple[int, int, int]) -> Tuple[List[str], np.ndarray]:
    """Render the ``n`` images of one (camera, identity) pair; returns paths and joints."""
    cam, pid, n = job
    ctx = _CONTEXT
    camera, person = ctx['cameras'][cam], ctx['people'][pid]
    rng = np.random.default_rng([ctx['seed'], _IMAGES, cam, pid])
    layouts = layout_series(person, sample_poses(camera, n, rng), camera, ctx['size'],
                            ctx['supersample'], rng)
    os.makedirs(osp.join(ctx['out_dir'], f'cam{cam}', f'{pid:04d}'), exist_ok=True)
    paths = []
    for k, layout in enumerate(layouts):
        rel_path = f'cam{cam}/{pid:04d}/{k + 1:04d}.jpg'
        _write_image(osp.join(ctx['out_dir'], rel_path),
                     render(person, layout, camera, ctx['supersample'], rng),
                     camera.jpeg_quality)
        paths.append(rel_path)
    return paths, np.stack([layout.keypoints for layout in layouts])


def _regdb_series(job: Tuple[int, int, int]) -> Tuple[List[str], np.ndarray]:
    """Render ``n`` simultaneous visible/thermal pairs of one identity."""
    pid, first_number, n = job
    ctx = _CONTEXT
    visible, thermal = ctx['cameras'][1], ctx['cameras'][2]
    person = ctx['people'][pid]
    rng = np.random.default_rng([ctx['seed'], _IMAGES, 0, pid])
    poses = sample_poses(visible, n, rng)
    layouts = layout_series(person, poses, visible, ctx['size'], ctx['supersample'], rng)
    for folder in ('Visible', 'Thermal'):
        os.makedirs(osp.join(ctx['out_dir'], folder, str(pid)), exist_ok=True)
    paths, joints = [], []
    for k, (layout, yaw) in enumerate(zip(layouts, poses.yaw)):
        view = 'front' if np.cos(yaw) >= 0 else 'back'
        stem = f'{person.gender}_{view}_{{}}_{first_number + k:05d}_{pid}.bmp'
        for folder, letter, camera, draw in (('Visible', 'v', visible, render_visible),
                                             ('Thermal', 't', thermal, render_thermal)):
            rel_path = f'{folder}/{pid}/{stem.format(letter)}'
            image = draw(person, layout, camera, ctx['supersample'], rng)
            _write_image(osp.join(ctx['out_dir'], rel_path), image, camera.jpeg_quality)
            paths.append(rel_path)
            joints.append(layout.keypoints)
    return paths, np.stack(joints)


def _set_context(context: dict) -> None:
    _CONTEXT.clear()
    _CONTEXT.update(context)


def _run(series_fn, jobs: list, context: dict, workers: int) -> Tuple[List[str], np.ndarray]:
    """Run the jobs in order (in ``workers`` processes when > 1); concatenate their outputs."""
    if workers > 1:
        pool_ctx = multiprocessing.get_context('fork' if os.name == 'posix' else 'spawn')
        with pool_ctx.Pool(workers, initializer=_set_context, initargs=(context,)) as pool:
            results = pool.map(series_fn, jobs, chunksize=max(1, len(jobs) // (8 * workers)))
    else:
        _set_context(context)
        results = [series_fn(job) for job in jobs]
    paths = [p for result_paths, _ in results for p in result_paths]
    joints = np.concatenate([j for _, j in results]) if results else np.empty((0, NUM_JOINTS, 3))
    return paths, joints


def write_pose_cache(cache_dir: str, rel_paths: Sequence[str], keypoints: np.ndarray,
                     image_size: Tuple[int, int], heatmap_size: Optional[Tuple[int, int]] = None,
                     sigma: Optional[float] = None) -> None:
    """Store ground-truth joints and their Gaussian heatmaps as a pose cache.

    Args:
        cache_dir (str): Cache directory to create.
        rel_paths (Sequence[str]): Image paths relative to the data root, row order.
        keypoints (np.ndarray): ``N x 16 x 3`` joints (x, y, score) in image pixels.
        image_size (tuple[int, int]): ``(height, width)`` of the images.
        heatmap_size (tuple[int, int], optional): ``(width, height)`` of the maps;
            defaults to a quarter of the image, as mmpose top-down heads produce.
        sigma (float, optional): Gaussian std in heatmap pixels; defaults to
            ``heatmap height / 32`` (mmpose's 2 pixels on a 64-row map), at least 0.5.
    """
    height, width = image_size
    if heatmap_size is None:
        heatmap_size = (max(1, width // 4), max(1, height // 4))
    if sigma is None:
        sigma = max(0.5, heatmap_size[1] / 32)
    cache = PoseCache.create(cache_dir, list(rel_paths), pose_model=dict(SYNTHETIC_POSE_MODEL),
                             num_joints=NUM_JOINTS, heatmap_size=heatmap_size)
    for row, joints in enumerate(keypoints):
        cache.write(row, render_gaussian_heatmaps(joints, (width, height), heatmap_size, sigma),
                    joints)
    cache.flush()


def _write_id_line(path: str, ids: Sequence[int]) -> None:
    with open(path, 'w') as f:
        f.write(','.join(str(i) for i in sorted(ids)) + '\n')


def _default_sysu_split(num_ids: int, num_test_ids: Optional[int], num_val_ids: Optional[int],
                        seed: int) -> Dict[str, List[int]]:
    """Ids 1..num_ids split at random; by default a sixth test and a sixth val ids.

    Training uses the train and the val ids (80 of the default 96): a network
    trained from scratch generalises across modalities only when it has seen
    many identities. The 16 test ids keep rank-1 meaningful (chance 1/16).
    """
    if num_test_ids is None:
        num_test_ids = max(1, num_ids // 6)
    if num_val_ids is None:
        num_val_ids = max(1, num_ids // 6)
    if num_test_ids < 1 or num_val_ids < 1:
        raise ValueError(f'num_test_ids and num_val_ids must be >= 1 (got {num_test_ids} and '
                         f'{num_val_ids}): the SYSU-MM01 layout always lists val ids, and '
                         f'training uses them together with the train ids')
    if num_test_ids + num_val_ids >= num_ids:
        raise ValueError(f'num_ids={num_ids} leaves no training id after {num_test_ids} test '
                         f'and {num_val_ids} val ids')
    order = np.random.default_rng([seed, _SPLIT]).permutation(np.arange(1, num_ids + 1))
    return dict(test=sorted(order[:num_test_ids].tolist()),
                val=sorted(order[num_test_ids:num_test_ids + num_val_ids].tolist()),
                train=sorted(order[num_test_ids + num_val_ids:].tolist()))


def sysu_split_from_counts(counts: Mapping[Tuple[int, int], int], train_ids: Sequence[int],
                           test_ids: Sequence[int]) -> Dict[str, List[int]]:
    """The real SYSU-MM01 split from its image counts and the official train / test ids.

    ``train_id.mat`` holds the 296 train ids and ``test_id.mat`` the 96 test
    ids; the 99 val ids are in no official ``.mat`` file: they are exactly the
    other ids with images in both modalities (ids seen in one modality only
    belong to no split, as in the release).

    Returns:
        dict: ``train``, ``val`` and ``test`` sorted id lists.
    """
    ids = {pid for (_, pid), n in counts.items() if n > 0}
    seen = {m: {pid for (cam, pid), n in counts.items() if n > 0 and SYSU_CAMERAS[cam][0] == m}
            for m in (VISIBLE, INFRARED)}
    train, test = set(train_ids) & ids, set(test_ids) & ids
    val = (seen[VISIBLE] & seen[INFRARED]) - train - test
    return dict(train=sorted(train), val=sorted(val), test=sorted(test))


def make_synthetic_sysu_mm01(out_dir: str,
                             num_ids: int = 96,
                             images_per_camera: int = 4,
                             num_test_ids: Optional[int] = None,
                             num_val_ids: Optional[int] = None,
                             size: Sequence[int] = (128, 64),
                             counts: Optional[Mapping[Tuple[int, int], int]] = None,
                             train_ids: Optional[Sequence[int]] = None,
                             test_ids: Optional[Sequence[int]] = None,
                             only_ids: Optional[Sequence[int]] = None,
                             pose_cache: bool = True,
                             heatmap_size: Optional[Tuple[int, int]] = None,
                             supersample: int = 2,
                             workers: int = 0,
                             overwrite: bool = False,
                             seed: int = 0) -> dict:
    """Write a synthetic data set in the exact SYSU-MM01 release layout.

    Two modes. By default identities ``1..num_ids`` appear ``images_per_camera``
    times in each of the six cameras and are split at random into train / val /
    test. With ``counts`` (``{(camera, id): number of images}``, e.g. from
    ``sysu_image_counts`` on the official ``rand_perm_cam.mat``) every
    (camera, id) gets exactly the real number of images, train and test ids are
    ``train_ids`` / ``test_ids`` (the real ``train_id.mat`` / ``test_id.mat``)
    and val ids are the other ids seen in both modalities (the real 99).

    Args:
        out_dir (str): Root of the tree (``data_root`` of ``SYSUMM01Dataset``).
        num_ids (int): Identities in the default mode.
        images_per_camera (int): Images per (camera, identity) in the default mode.
        num_test_ids (int, optional): Test ids in the default mode
            (default: a sixth of ``num_ids``, i.e. 16 of 96).
        num_val_ids (int, optional): Val ids in the default mode (default:
            a sixth, i.e. 16 of 96; training uses train + val ids, 80 of 96).
        size (Sequence[int]): Image ``(height, width)``.
        counts (Mapping, optional): Real per-(camera, id) image counts.
        train_ids (Sequence[int], optional): Real train ids (counts mode).
        test_ids (Sequence[int], optional): Real test ids (counts mode).
        only_ids (Sequence[int], optional): Generate only these ids (the id
            files list only them), e.g. to test counts on a subset quickly.
        pose_cache (bool): Write ``pose_cache/`` with the drawn joints.
        heatmap_size (tuple[int, int], optional): Cached heatmap ``(w, h)``.
        supersample (int): Drawing resolution factor (anti-aliasing).
        workers (int): Worker processes (0 or 1: in this process).
        overwrite (bool): Replace an existing tree in ``out_dir``.
        seed (int): Seed of everything.

    Returns:
        dict: ``num_images``, ``ids`` (``train``/``val``/``test`` lists),
        ``image_paths`` (relative) and ``keypoints`` (``N x 16 x 3``).
    """
    size = _check_size(size)
    if counts is None:
        if num_ids < 3 or images_per_camera < 1:
            raise ValueError(f'need num_ids >= 3 and images_per_camera >= 1, got {num_ids} '
                             f'and {images_per_camera}')
        split = _default_sysu_split(num_ids, num_test_ids, num_val_ids, seed)
        counts = {(cam, pid): images_per_camera for cam in SYSU_CAMERAS
                  for pid in range(1, num_ids + 1)}
    else:
        if train_ids is None or test_ids is None:
            raise ValueError('counts mode needs train_ids and test_ids (the real '
                             'train_id.mat / test_id.mat)')
        bad = sorted({cam for cam, _ in counts} - set(SYSU_CAMERAS))
        if bad:
            raise ValueError(f'counts name cameras {bad}; SYSU-MM01 has cameras 1..6')
        split = sysu_split_from_counts(counts, train_ids, test_ids)
    if only_ids is not None:
        keep = set(only_ids)
        counts = {key: n for key, n in counts.items() if key[1] in keep}
        split = {name: [pid for pid in ids if pid in keep] for name, ids in split.items()}
        empty = [name for name, ids in split.items() if not ids]
        if empty:
            raise ValueError(f'only_ids={sorted(keep)} leaves no {" / ".join(empty)} id; the '
                             'SYSU-MM01 layout lists ids in train, val and test')
    _prepare_out_dir(out_dir, _SYSU_TREE, overwrite)
    pids = sorted({pid for (_, pid), n in counts.items() if n > 0})
    people = dict(zip(pids, sample_identities(pids, np.random.default_rng([seed, _IDENTITIES]))))
    cameras = {cam: make_camera(cam, modality, outdoor, size, supersample,
                                np.random.default_rng([seed, _CAMERAS, cam]))
               for cam, (modality, outdoor) in SYSU_CAMERAS.items()}
    jobs = [(cam, pid, counts[(cam, pid)]) for cam in SYSU_CAMERAS for pid in pids
            if counts.get((cam, pid), 0) > 0]
    context = dict(cameras=cameras, people=people, size=size, supersample=supersample,
                   out_dir=out_dir, seed=seed)
    paths, keypoints = _run(_sysu_series, jobs, context, workers)
    for cam in SYSU_CAMERAS:  # the release has every camera folder
        os.makedirs(osp.join(out_dir, f'cam{cam}'), exist_ok=True)
    os.makedirs(osp.join(out_dir, 'exp'), exist_ok=True)
    for name in ('train', 'val', 'test'):
        _write_id_line(osp.join(out_dir, 'exp', f'{name}_id.txt'), split[name])
    if pose_cache:
        write_pose_cache(osp.join(out_dir, 'pose_cache'), paths, keypoints, size, heatmap_size)
    return dict(num_images=len(paths), ids=split, image_paths=paths, keypoints=keypoints)


def make_synthetic_regdb(out_dir: str,
                         num_ids: int = 40,
                         images_per_id: int = 10,
                         num_trials: int = 10,
                         size: Sequence[int] = (128, 64),
                         pose_cache: bool = True,
                         heatmap_size: Optional[Tuple[int, int]] = None,
                         supersample: int = 2,
                         workers: int = 0,
                         overwrite: bool = False,
                         seed: int = 0) -> dict:
    """Write a synthetic data set in the RegDB release layout.

    Like RegDB, a co-located visible and thermal camera capture every person
    ``images_per_id`` times at the same instants (same pose in both images),
    and trial ``t`` splits the identities at random into two halves, train and
    test; split files label ids ``0..N-1`` in increasing id order.

    Args:
        out_dir (str): Root of the tree (``data_root`` of ``RegDBDataset``).
        num_ids (int): Identities (RegDB: 412).
        images_per_id (int): Images per identity and modality (RegDB: 10).
        num_trials (int): Split files ``1..num_trials`` (RegDB: 10).
        size (Sequence[int]): Image ``(height, width)`` (RegDB: 128 x 64).
        pose_cache (bool): Write ``pose_cache/`` with the drawn joints.
        heatmap_size (tuple[int, int], optional): Cached heatmap ``(w, h)``.
        supersample (int): Drawing resolution factor (anti-aliasing).
        workers (int): Worker processes (0 or 1: in this process).
        overwrite (bool): Replace an existing tree in ``out_dir``.
        seed (int): Seed of everything.

    Returns:
        dict: ``num_images``, ``image_paths`` (relative), ``keypoints`` and
        ``splits`` (trial -> ``{'train': ids, 'test': ids}``).
    """
    size = _check_size(size)
    if num_ids < 2 or images_per_id < 1 or num_trials < 1:
        raise ValueError(f'need num_ids >= 2, images_per_id >= 1 and num_trials >= 1, got '
                         f'{num_ids}, {images_per_id}, {num_trials}')
    _prepare_out_dir(out_dir, _REGDB_TREE, overwrite)
    pids = list(range(1, num_ids + 1))
    people = dict(zip(pids, sample_identities(pids, np.random.default_rng([seed, _IDENTITIES]))))
    cameras = {cam: make_camera(cam, modality, False, size, supersample,
                                np.random.default_rng([seed, _CAMERAS, cam]))
               for cam, modality in ((1, VISIBLE), (2, INFRARED))}
    jobs = [(pid, (pid - 1) * images_per_id + 1, images_per_id) for pid in pids]
    context = dict(cameras=cameras, people=people, size=size, supersample=supersample,
                   out_dir=out_dir, seed=seed)
    paths, keypoints = _run(_regdb_series, jobs, context, workers)
    os.makedirs(osp.join(out_dir, 'idx'), exist_ok=True)
    splits = {}
    for trial in range(1, num_trials + 1):
        order = np.random.default_rng([seed, _SPLIT, trial]).permutation(pids)
        half = num_ids // 2
        splits[trial] = dict(train=sorted(order[:half].tolist()),
                             test=sorted(order[half:].tolist()))
        for part, ids in splits[trial].items():
            label = {pid: i for i, pid in enumerate(ids)}
            for folder, modality in (('Visible', 'visible'), ('Thermal', 'thermal')):
                lines = [f'{p} {label[int(p.split("/")[1])]}' for p in paths
                         if p.startswith(folder + '/') and int(p.split('/')[1]) in label]
                with open(osp.join(out_dir, 'idx', f'{part}_{modality}_{trial}.txt'), 'w') as f:
                    f.write('\n'.join(lines) + '\n')
    if pose_cache:
        write_pose_cache(osp.join(out_dir, 'pose_cache'), paths, keypoints, size, heatmap_size)
    return dict(num_images=len(paths), image_paths=paths, keypoints=keypoints, splits=splits)
