"""Write a synthetic visible-infrared ReID data set (SYSU-MM01 or RegDB layout).

Examples::

    # the demo set (96 ids x 6 cameras x 4 images, 128x64, pose cache), a few seconds
    python tools/misc/make_synthetic_dataset.py --out data/synthetic_sysu_mm01

    # the real SYSU-MM01 per-(camera, id) image counts at 32x16 (about 46k images)
    python tools/misc/make_synthetic_dataset.py --out data/synthetic_sysu_mm01_real_counts \\
        --counts-from tests/data/sysu_mm01_protocol/rand_perm_cam.mat --size 32x16

    # RegDB layout
    python tools/misc/make_synthetic_dataset.py --out data/synthetic_regdb --layout regdb

See docs/en/user_guides/synthetic_data.md.
"""
import argparse
import os.path as osp
import sys
import time
from typing import List, Tuple

from vireid_toolbox.datasets.synthetic import make_synthetic_regdb, make_synthetic_sysu_mm01


def parse_size(text: str) -> Tuple[int, int]:
    """``'128x64'`` -> ``(128, 64)``: height x width."""
    try:
        height, width = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'--size must be HEIGHTxWIDTH, e.g. 128x64, got {text!r}')
    return height, width


def given(**options) -> dict:
    """The options set on the command line (the generator's own defaults apply to the rest)."""
    return {name: value for name, value in options.items() if value is not None}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='output root (the data set\'s data_root)')
    parser.add_argument('--layout', choices=('sysu', 'regdb'), default='sysu')
    parser.add_argument('--num-ids', type=int, default=None,
                        help='identities (default mode; default 96 for sysu, 40 for regdb)')
    parser.add_argument('--images-per-camera', type=int, default=None,
                        help='sysu: images per (camera, id); regdb: images per id and modality '
                        '(default 4 for sysu, 10 for regdb)')
    parser.add_argument('--counts-from', metavar='PATH/rand_perm_cam.mat',
                        help='sysu: reproduce the real per-(camera, id) image counts; train and '
                        'test ids come from train_id.mat / test_id.mat next to it')
    parser.add_argument('--size', type=parse_size, default=None,
                        help='image HEIGHTxWIDTH (default 128x64; 32x16 with --counts-from)')
    parser.add_argument('--heatmap-size', type=parse_size, default=None,
                        help='cached heatmap HEIGHTxWIDTH (default: a quarter of --size); 64x24 '
                        'is what HRNet-w32 gives for the PDFENet configs\' 256x96 pose input')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-pose-cache', action='store_true',
                        help='do not write <out>/pose_cache')
    parser.add_argument('--workers', type=int, default=1, help='rendering processes')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing tree in --out')
    return parser.parse_args(argv)


def read_mat_ids(path: str) -> List[int]:
    """The ``id`` vector of the official ``train_id.mat`` / ``test_id.mat``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist; --counts-from needs train_id.mat and '
                                'test_id.mat next to rand_perm_cam.mat')
    from scipy.io import loadmat
    try:
        return sorted(int(i) for i in loadmat(path)['id'].ravel())
    except (KeyError, ValueError) as err:
        raise ValueError(f'{path} has no "id" vector of the official SYSU-MM01 split: {err}')


def main(argv=None) -> int:
    args = parse_args(argv)
    common = dict(pose_cache=not args.no_pose_cache, workers=args.workers,
                  overwrite=args.overwrite, seed=args.seed,
                  heatmap_size=args.heatmap_size and args.heatmap_size[::-1])
    start = time.perf_counter()
    try:
        if args.layout == 'regdb':
            if args.counts_from:
                raise ValueError('--counts-from reproduces SYSU-MM01 counts; use --layout sysu')
            sizes = given(num_ids=args.num_ids, images_per_id=args.images_per_camera)
            result = make_synthetic_regdb(args.out, size=args.size or (128, 64), **sizes,
                                          **common)
        elif args.counts_from:
            from vireid_toolbox.datasets.sysu_mm01 import sysu_image_counts
            folder = osp.dirname(args.counts_from)
            result = make_synthetic_sysu_mm01(
                args.out, size=args.size or (32, 16), counts=sysu_image_counts(args.counts_from),
                train_ids=read_mat_ids(osp.join(folder, 'train_id.mat')),
                test_ids=read_mat_ids(osp.join(folder, 'test_id.mat')), **common)
        else:
            sizes = given(num_ids=args.num_ids, images_per_camera=args.images_per_camera)
            result = make_synthetic_sysu_mm01(args.out, size=args.size or (128, 64), **sizes,
                                              **common)
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(f'wrote {result["num_images"]} images to {args.out} in {seconds:.1f} s'
          + ('' if args.no_pose_cache else f' (pose cache: {osp.join(args.out, "pose_cache")})'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
