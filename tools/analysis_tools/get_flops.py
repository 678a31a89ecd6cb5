"""Parameters and FLOPs of a model config at its test input size.

The model runs its test path (``mode='tensor'``: backbone, neck, test feature)
on one visible and one infrared image with random weights; FLOPs are given per
image (mmengine's counter: one multiply-add = one FLOP)::

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W] [--heatmaps K h w]
"""
import argparse
import sys

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import DictAction

from dummy_batch import build_model, cross_modality_batch, input_shape
from vireid_toolbox.utils.tool_utils import load_config, one_line_errors


class TestFeature(torch.nn.Module):
    """``inputs → L2-normalised test features`` with the batch's samples fixed, for tracing."""

    def __init__(self, model, data_samples):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs):
        return self.model(inputs, self.data_samples, mode='tensor')


def parse_args():
    parser = argparse.ArgumentParser(description='Count the parameters and FLOPs of a model')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size (default: the test pipeline ReIDResize)')
    parser.add_argument('--heatmaps', type=int, nargs=3, metavar=('K', 'h', 'w'),
                        help='random cached heatmaps for models with a cached pose source')
    parser.add_argument('--show-table', action='store_true', help='per-module breakdown')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. model.backbone.depth=18')
    return parser.parse_args()


def main():
    args = parse_args()
    with one_line_errors('get_flops.py'):
        cfg = load_config(args.config, args.cfg_options)
    try:
        shape = input_shape(cfg, args.shape)
    except ValueError as error:
        sys.exit(f'get_flops.py: error: {error}')
    model = build_model(cfg).eval()
    batch = model.data_preprocessor(cross_modality_batch(1, 1, shape, args.heatmaps), False)
    wrapper = TestFeature(model, batch['data_samples'])
    with torch.no_grad():
        info = get_model_complexity_info(wrapper, inputs=(batch['inputs'], ),
                                         show_table=args.show_table, show_arch=False)
    num_images = batch['inputs'].shape[0]
    print(f'config: {args.config}')
    print(f'input: {shape[0]}x{shape[1]}, {num_images} images (one per modality)')
    test_path = sum(p.numel() for part in (model.backbone, model.neck) if part is not None
                    for p in part.parameters())
    print(f'params: {info["params"] / 1e6:.2f} M (all), {test_path / 1e6:.2f} M '
          '(backbone + neck, the test path)')
    print(f'FLOPs per image: {info["flops"] / num_images / 1e9:.2f} G')
    if args.show_table:
        print(info['out_table'])


if __name__ == '__main__':
    main()
