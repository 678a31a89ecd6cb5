"""Save data-set samples as the model receives them, with their heatmaps, as PNG.

``python tools/misc/browse_dataset.py CONFIG --output-dir DIR [--num N] [--phase train|test]
[--seed 0] [--cfg-options k=v ...]``

``N`` samples, drawn with ``--seed`` from the ``--phase`` data set, go through
the config's pipeline (random augmentations included for ``train``). Each PNG
(``<index>_id<pid>_cam<camera>_<modality>.png``) shows the original image
resized to the model's input height, the packed input and, when the sample
carries pose heatmaps, the maximum over joints overlaid on the input (the
maps follow every geometric transform, so they must sit on the body).
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from vireid_toolbox.registry import DATASETS
from vireid_toolbox.structures import MODALITY_NAMES, aligned_heatmaps
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.tool_utils import UserInputError, load_config, one_line_errors
from vireid_toolbox.visualization import overlay_mask

GAP = 6


def parse_args():
    parser = argparse.ArgumentParser(description='Browse a data set after its pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', required=True, help='where the PNGs go')
    parser.add_argument('--num', type=int, default=8, help='number of samples')
    parser.add_argument('--phase', choices=['train', 'test'], default='train',
                        help='train_dataloader or test_dataloader data set')
    parser.add_argument('--seed', type=int, default=0, help='sample choice and augmentation')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    return parser.parse_args()


def panels(original: np.ndarray, packed: np.ndarray, heatmaps) -> np.ndarray:
    """``original | packed input [| heatmap overlay]`` side by side (BGR)."""
    height = packed.shape[0]
    scale = height / original.shape[0]
    original = cv2.resize(original, (max(1, round(original.shape[1] * scale)), height))
    images = [original, packed]
    if heatmaps is not None:
        rgb = cv2.cvtColor(packed, cv2.COLOR_BGR2RGB)
        overlay = overlay_mask(rgb, np.asarray(heatmaps).max(axis=0))
        images.append(cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
    width = sum(image.shape[1] for image in images) + GAP * (len(images) - 1)
    canvas = np.full((height, width, 3), 255, dtype=np.uint8)
    x = 0
    for image in images:
        canvas[:, x:x + image.shape[1]] = image
        x += image.shape[1] + GAP
    return canvas


def main():
    args = parse_args()
    with one_line_errors('browse_dataset.py'):
        if args.num < 1:
            raise UserInputError(f'--num must be at least 1, got {args.num}')
        cfg = load_config(args.config, args.cfg_options)
        register_all_modules(init_default_scope=False)
        init_default_scope('vireid_toolbox')  # the data set builds its pipeline by type name
        try:
            dataset = DATASETS.build(cfg[f'{args.phase}_dataloader'].dataset)
        except (FileNotFoundError, ValueError) as error:  # e.g. a data root not prepared yet
            raise UserInputError(str(error)) from None
        if len(dataset) == 0:
            raise UserInputError(f'the {args.phase} data set of {args.config} is empty')
    rng = np.random.default_rng(args.seed)
    indices = sorted(rng.choice(len(dataset), size=min(args.num, len(dataset)), replace=False))
    np.random.seed(args.seed)  # the pipeline's random transforms draw from numpy
    os.makedirs(args.output_dir, exist_ok=True)
    for index in indices:
        info = dataset.get_data_info(index)
        data = dataset[index]
        sample = data['data_samples']
        packed = np.ascontiguousarray(data['inputs'].permute(1, 2, 0).numpy())
        original = cv2.imread(info['img_path'], cv2.IMREAD_COLOR)
        heatmaps = None
        if 'heatmaps' in sample:  # moved as the model moves them
            heatmaps = aligned_heatmaps(sample.heatmaps, sample.get('heatmap_shift'))
        modality = MODALITY_NAMES.get(info.get('modality'), 'unknown')
        name = f'{index:05d}_id{info.get("pid", -1)}_cam{info.get("camera", -1)}_{modality}.png'
        path = osp.join(args.output_dir, name)
        if not cv2.imwrite(path, panels(original, packed, heatmaps)):
            raise OSError(f'could not write {path}')
        print(path)


if __name__ == '__main__':
    main()
