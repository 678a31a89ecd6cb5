"""Readers shared by the VI-ReID data sets: id lists, identity folders, list files.

SYSU-MM01 and LLCM store their test images as ``<camera dir>/<%04d id>/<image>``
and list their split ids in a text file holding one line of comma-separated
ids; RegDB and LLCM list their training images as ``relative/path label``
lines. The functions here read those layouts and build the seeded gallery
draw of the community reference code, so every data set applies it the same
way.
"""
import os
import os.path as osp
import random
from typing import List, Sequence, Tuple

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
"""File endings taken as images when an identity folder is listed (case-insensitive)."""

CameraDirs = Sequence[Tuple[int, str]]
"""``(camera number, folder relative to the data root)`` pairs, in draw order."""

Item = Tuple[str, int, int]
"""``(absolute image path, person id, camera)``: one query or gallery image."""


def read_id_file(path: str) -> List[int]:
    """Read a split file holding one line of comma-separated person ids.

    Args:
        path (str): The id file, e.g. ``exp/test_id.txt``.

    Returns:
        list[int]: The ids in file order.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file {path} does not exist')
    with open(path) as f:
        text = f.read().strip()
    if not text:
        raise ValueError(f'split file {path} is empty: expected one line of comma-separated ids')
    ids = []
    for token in text.split(','):
        token = token.strip()
        if not token.isdigit():
            raise ValueError(f'split file {path}: {token!r} is not a person id '
                             '(expected one line of comma-separated integers)')
        ids.append(int(token))
    return ids


def read_list_file(path: str) -> List[Tuple[str, int]]:
    """Read a list file of ``relative/path label`` lines (blank lines are skipped).

    Args:
        path (str): The list file, e.g. ``idx/train_visible_1.txt``.

    Returns:
        list[tuple[str, int]]: ``(relative path, label)`` in file order.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file {path} does not exist')
    entries = []
    with open(path) as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[1].lstrip('-').isdigit():
                raise ValueError(f'{path}, line {line_no}: expected "relative/path label", '
                                 f'got {line.rstrip()!r}')
            entries.append((fields[0], int(fields[1])))
    if not entries:
        raise ValueError(f'list file {path} holds no "relative/path label" line')
    return entries


def check_listed_images(list_file: str, root: str, rel_paths: Sequence[str]) -> None:
    """Raise naming the first image that ``list_file`` lists but ``root`` does not hold."""
    missing = [path for path in rel_paths if not osp.isfile(osp.join(root, path))]
    if missing:
        raise FileNotFoundError(
            f'{list_file} lists {missing[0]}, but {osp.join(root, missing[0])} does not exist '
            f'({len(missing)} of the {len(rel_paths)} listed images are missing)')


def list_images(folder: str) -> List[str]:
    """Sorted image file names of one identity folder (empty if it does not exist)."""
    if not osp.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder)
                  if name.lower().endswith(IMAGE_EXTENSIONS))


def id_folder(data_root: str, camera_dir: str, pid: int) -> str:
    """Absolute path of the folder holding the images of ``pid`` in ``camera_dir``."""
    return osp.join(osp.abspath(data_root), camera_dir, f'{pid:04d}')


def scan_id_folders(data_root: str, camera_dirs: CameraDirs, pids: Sequence[int]) -> List[Item]:
    """Every image of ``pids`` in ``camera_dirs``.

    The order is the reference code's: ids ascending, then cameras in the
    given order, then file names sorted. Missing folders are skipped.

    Args:
        data_root (str): Root of the data set.
        camera_dirs (CameraDirs): Cameras to list, in order.
        pids (Sequence[int]): Person ids.

    Returns:
        list[Item]: ``(img_path, pid, camera)`` tuples.
    """
    items = []
    for pid in sorted(pids):
        for camera, camera_dir in camera_dirs:
            folder = id_folder(data_root, camera_dir, pid)
            items.extend((osp.join(folder, name), pid, camera) for name in list_images(folder))
    return items


def seeded_draw(data_root: str, camera_dirs: CameraDirs, pids: Sequence[int], trial: int,
                shots: int) -> List[Item]:
    """The gallery draw of the community reference code (AGW ``process_gallery_sysu``).

    A ``random.Random(trial)`` instance replays ``random.seed(trial)``; then
    for each id ascending and each camera in order, one ``choice`` of the
    sorted files (``shots == 1``) or ``sample(files, min(shots, n))``. An
    (id, camera) without images is skipped and consumes no random number, as
    the reference does for a missing folder (it would crash on an empty one).

    Args:
        data_root (str): Root of the data set.
        camera_dirs (CameraDirs): Gallery cameras, in draw order.
        pids (Sequence[int]): Test ids.
        trial (int): Seed of the draw.
        shots (int): Images per (id, camera).

    Returns:
        list[Item]: ``(img_path, pid, camera)`` tuples in draw order.
    """
    groups = []
    for pid in sorted(pids):
        for camera, camera_dir in camera_dirs:
            folder = id_folder(data_root, camera_dir, pid)
            groups.append((pid, camera, [osp.join(folder, name) for name in list_images(folder)]))
    return seeded_draw_groups(groups, trial, shots)


def seeded_draw_groups(groups: Sequence[Tuple[int, int, List[str]]], trial: int,
                       shots: int) -> List[Item]:
    """:func:`seeded_draw` on ``(pid, camera, sorted image paths)`` groups given in draw order.

    Also draws validation galleries from images listed in files rather than
    stored in identity folders.
    """
    if not isinstance(shots, int) or shots < 1:
        raise ValueError(f'shots must be a positive int, got {shots!r}')
    rng = random.Random(trial)
    items = []
    for pid, camera, files in groups:
        if not files:
            continue
        if shots == 1:
            chosen = [rng.choice(files)]
        else:
            chosen = rng.sample(files, min(shots, len(files)))
        items.extend((path, pid, camera) for path in chosen)
    return items


VAL_SEED = 0
"""Seed of the identities a list-based data set holds out for validation."""


def held_out_ids(pids: Sequence[int], fraction: float, source: str) -> List[int]:
    """The training identities held out as a validation split, sorted.

    ``round(fraction * n)`` ids drawn with ``random.Random(VAL_SEED).sample``
    from the sorted ids: the same ids for every run, machine and epoch.

    Args:
        pids (Sequence[int]): The training split's identities.
        fraction (float): Share of them held out, in (0, 1).
        source (str): The list or data root, for the error message.

    Returns:
        list[int]: The held-out ids, ascending.
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f'val_fraction must be a number in (0, 1), got {fraction!r}')
    pids = sorted(set(pids))
    count = int(round(fraction * len(pids)))
    if not 0 < count < len(pids):
        raise ValueError(f'{source}: val_fraction={fraction} of {len(pids)} training ids holds out '
                         f'{count}; validation and training both need at least one id')
    return sorted(random.Random(VAL_SEED).sample(pids, count))
