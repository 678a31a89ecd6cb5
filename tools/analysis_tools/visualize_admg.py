"""Draw PDFENet's ADMG masks and joint credibility weights for a few images (the paper's Fig. 2).

``python tools/analysis_tools/visualize_admg.py CONFIG CHECKPOINT --images A.jpg B.jpg
--modalities visible infrared --out-dir DIR``

Each image goes through the config's test pipeline (so a cached-pose config
reads its heatmaps from the pose cache, and the image is resized as in
testing), then the model's backbone, pose source and ADMG neck. One PNG per
image (``<index>_<name>_admg.png``): the image, every adaptive mask over it and the credibility of every
selected joint.
"""
import argparse
import os
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.runner import load_checkpoint

from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import INFRARED, VISIBLE
from vireid_toolbox.utils import allow_mmengine_checkpoint_types, register_all_modules
from vireid_toolbox.utils.tool_utils import (UserInputError, load_config, one_line_errors,
                                             require_file)
from vireid_toolbox.visualization import draw_admg

MODALITY_CODES = dict(visible=VISIBLE, infrared=INFRARED)


def parse_args():
    parser = argparse.ArgumentParser(description='Visualise ADMG masks and joint credibility')
    parser.add_argument('config', help='PDFENet config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--images', nargs='+', required=True, help='image files')
    parser.add_argument('--modalities', nargs='+', choices=sorted(MODALITY_CODES),
                        default=['visible'],
                        help='one modality for all images, or one per image')
    parser.add_argument('--out-dir', required=True, help='where the PNGs go')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def build_model(cfg, checkpoint: str, device: str):
    """The config's model with the checkpoint's weights, in eval mode."""
    neck = cfg.model.get('neck') or {}
    if neck.get('type') != 'ADMG' or not cfg.model.get('pose'):
        raise UserInputError('the config has no ADMG neck with a pose source: nothing to draw')
    model = MODELS.build(cfg.model)
    allow_mmengine_checkpoint_types()
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.to(device).eval()


def prepare(pipeline: Compose, model, image: str, modality: int, data_root: str):
    """Pipeline + data preprocessor for one image: ``(inputs, data_samples, bgr image)``.

    ``rel_path`` (the pose cache's key) is the image path relative to the data root.
    """
    data = pipeline(dict(img_path=osp.abspath(image), rel_path=osp.relpath(image, data_root),
                         modality=modality, camera=0, gt_label=-1, pid=-1))
    bgr = data['inputs'].permute(1, 2, 0).numpy().astype(np.uint8)
    batch = model.data_preprocessor(dict(inputs=[data['inputs']],
                                         data_samples=[data['data_samples']]), False)
    return batch['inputs'], batch['data_samples'], bgr


@torch.no_grad()
def admg_masks(model, inputs, data_samples):
    """Credibility weights and masks of one image (batch of one)."""
    _, modalities = model.unpack_targets(data_samples, inputs.device)
    feats = model.backbone(inputs, modalities)
    heatmaps = model.pose(inputs, data_samples, False)
    weights, masks = model.neck.generate_masks(feats[0], heatmaps)
    return weights[0].cpu().numpy(), {k: v[0].cpu().numpy() for k, v in masks.items()}


def main():
    args = parse_args()
    with one_line_errors('visualize_admg.py'):
        cfg = load_config(args.config)
        require_file(args.checkpoint, 'checkpoint')
        for image in args.images:
            require_file(image, 'image')
        if len(args.modalities) not in (1, len(args.images)):
            raise UserInputError(f'--modalities: give one value or one per image '
                                 f'({len(args.images)}), got {len(args.modalities)}')
        register_all_modules()  # the pipeline's transforms are built in our scope
        model = build_model(cfg, args.checkpoint, args.device)
    pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    modalities = args.modalities * len(args.images) if len(args.modalities) == 1 else args.modalities
    os.makedirs(args.out_dir, exist_ok=True)
    for index, (image, modality) in enumerate(zip(args.images, modalities)):
        inputs, data_samples, bgr = prepare(pipeline, model, image, MODALITY_CODES[modality],
                                            cfg.test_dataloader.dataset.data_root)
        weights, masks = admg_masks(model, inputs.to(args.device), data_samples)
        figure = draw_admg(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), masks, weights,
                           model.neck.groups, title=f'{osp.basename(image)} ({modality})')
        stem = osp.splitext(osp.basename(image))[0]
        out = osp.join(args.out_dir, f'{index:03d}_{stem}_admg.png')  # names repeat across cams
        cv2.imwrite(out, cv2.cvtColor(figure, cv2.COLOR_RGB2BGR))
        print(out)


if __name__ == '__main__':
    main()
