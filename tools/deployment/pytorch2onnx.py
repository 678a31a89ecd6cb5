"""Export the test-feature path of a trained model to ONNX and check it with onnxruntime.

``python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx [--shape H W]
[--modality visible|infrared|input] [--heatmap-shape H W] [--opset 17]``

The graph is the model's data preprocessor followed by
``VIReIDModel.features``, the tensor-only path that ``mode='tensor'`` runs
too. Its input ``images`` is a float32 ``N x 3 x H x W`` batch of BGR pixel
values (0-255) after the config's test resize, i.e. what ``PackReIDInputs``
yields. Its output ``features`` is the L2-normalised test feature,
flip-averaged when the config's ``test_cfg.flip`` is set. The batch size is
dynamic. The modality is a fixed export argument (``--modality visible`` or
``infrared``: one graph per query/gallery side) or a graph input
``modalities`` (int64 ``N``, ``--modality input``). A model reading cached
heatmaps (``CachedHeatmaps``) gets a third input ``heatmaps`` (``N x K x h x
w``, aligned with the image, as the test pipeline's ``LoadCachedHeatmaps``
gives them); the online mmpose source (``MMPoseHeatmaps``) is traced into the
graph with its weights, so that graph takes only the images.

The model first runs in PyTorch on a seeded random batch (both modalities
when they are an input), which also loads weights read on first use (the
online pose network's); then the graph is traced, run with onnxruntime on the
same batch and compared; the maximum absolute difference is printed and the
tool fails when it exceeds ``--tolerance``. A model with an operation the
ONNX exporter cannot express fails with the exporter's reason on one line.

What exports (TorchScript-based exporter, default opset 17, checked below
1e-4): HcTri, ADMPFF-Net and PDFENet, with a fixed or an input modality;
PDFENet with cached heatmaps and with the online mmpose source, also at
384x128, where HRNet's 64x24 heatmaps pool to the 24x8 map by uneven windows
(ADMG pools with static sizes). Opset 11 is the oldest that works (the data
preprocessor pads by traced sizes), 12 for PDFENet (ADMG's ``einsum``).
"""
import argparse
import json
import os
import os.path as osp
import sys
import warnings
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from vireid_toolbox.apis import init_reid_model
from vireid_toolbox.apis.inference import MODALITY_CODES
from vireid_toolbox.models.pose import CachedHeatmaps, MMPoseHeatmaps
from vireid_toolbox.structures import ReIDDataSample
from vireid_toolbox.utils.tool_utils import UserInputError, one_line_errors, require_file

MODALITY_INPUT = 'input'


def parse_args():
    parser = argparse.ArgumentParser(description='Export a VI-ReID model to ONNX')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='trained checkpoint')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input height and width (default: the test pipeline\'s resize)')
    parser.add_argument('--modality', choices=[*sorted(MODALITY_CODES), MODALITY_INPUT],
                        default='visible',
                        help='fixed modality of the graph, or "input" for a modalities input')
    parser.add_argument('--heatmap-shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='cached heatmap size (default: the config\'s pose cache)')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset version')
    parser.add_argument('--check-batch', type=int, default=4,
                        help='images in the onnxruntime check batch')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest accepted |onnx - pytorch| feature difference')
    return parser.parse_args()


class ReIDFeatureGraph(nn.Module):
    """A ``VIReIDModel``'s test features from tensor inputs only, for tracing.

    A traced graph cannot receive data samples, so the modalities (and
    cached heatmaps) come as tensors: the graph is the model's data
    preprocessor followed by ``VIReIDModel.features``, the method that
    ``mode='tensor'`` runs too.

    Args:
        model (nn.Module): A ``VIReIDModel`` in eval mode.
        modality (int, optional): Fixed modality code; ``None`` makes the
            modalities a forward argument.
    """

    def __init__(self, model: nn.Module, modality: Optional[int] = None):
        super().__init__()
        self.model = model
        self.modality = modality

    def forward(self, images: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        """``(images[, modalities][, heatmaps]) -> N x D`` unit-norm features."""
        extra = list(extra)
        if self.modality is None:
            modalities = extra.pop(0)
        else:
            modalities = torch.full(images.shape[:1], self.modality, dtype=torch.long)
        heatmaps = extra.pop(0) if extra else None
        inputs = self.model.data_preprocessor(dict(inputs=images), False)['inputs']
        return self.model.features(inputs, modalities, heatmaps)


def test_image_shape(cfg) -> Tuple[int, int]:
    """``(H, W)`` of the test pipeline's ``ReIDResize``."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'ReIDResize':
            width, height = step['scale']
            return int(height), int(width)
    raise UserInputError('the test pipeline has no ReIDResize: give the input size with --shape')


def heatmap_shape(cfg, num_joints: int, given: Optional[Sequence[int]]) -> Tuple[int, int, int]:
    """``(K, h, w)`` of cached heatmaps: ``--heatmap-shape`` or the config's pose cache."""
    if given:
        return num_joints, int(given[0]), int(given[1])
    for step in cfg.test_dataloader.dataset.pipeline:
        meta_file = osp.join(step.get('cache_dir', ''), 'meta.json')
        if step['type'] == 'LoadCachedHeatmaps' and osp.isfile(meta_file):
            with open(meta_file) as f:
                width, height = json.load(f)['heatmap_size']
            return num_joints, int(height), int(width)
    raise UserInputError('the model reads cached heatmaps and the config\'s pose cache is not '
                         'here: give their size with --heatmap-shape H W')


def check_batch(image_shape: Tuple[int, int], size: int, modality: Optional[int],
                maps_shape: Optional[Tuple[int, int, int]]):
    """A seeded random batch: uint8-valued images, modalities and (cached) heatmaps."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (size, 3, *image_shape), generator=generator).float()
    if modality is None:
        modalities = torch.arange(size) % 2  # both streams, interleaved
    else:
        modalities = torch.full((size, ), modality, dtype=torch.long)
    heatmaps = None if maps_shape is None else torch.rand((size, *maps_shape),
                                                          generator=generator)
    return images, modalities, heatmaps


@torch.no_grad()
def pytorch_features(model: nn.Module, images, modalities, heatmaps) -> torch.Tensor:
    """The model's own ``mode='tensor'`` features, through its data preprocessor."""
    samples = []
    for index in range(images.shape[0]):
        sample = ReIDDataSample(metainfo=dict(modality=int(modalities[index])))
        if heatmaps is not None:
            sample.heatmaps = heatmaps[index]
        samples.append(sample)
    batch = model.data_preprocessor(dict(inputs=list(images.to(torch.uint8)),
                                         data_samples=samples), False)
    return model(batch['inputs'], batch['data_samples'], mode='tensor')


def export(graph: ReIDFeatureGraph, example: tuple, names: list, out: str, opset: int) -> None:
    """Trace and write the graph with a dynamic batch axis."""
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    dynamic_axes = {name: {0: 'batch'} for name in [*names, 'features']}
    try:
        with warnings.catch_warnings():  # trace-time constants are checked against PyTorch below
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            warnings.simplefilter('ignore', DeprecationWarning)
            torch.onnx.export(graph, example, out, dynamo=False, input_names=names,
                              output_names=['features'], dynamic_axes=dynamic_axes,
                              opset_version=opset)
    except Exception as error:  # the exporter's reason, on one line
        reason = ' '.join(str(error).split('[Caused by')[0].split())[:300]
        neck = type(graph.model.neck).__name__ if graph.model.neck is not None else 'no neck'
        raise UserInputError(f'ONNX export failed ({type(error).__name__}, model with {neck} '
                             f'and pose source {type(graph.model.pose).__name__}): '
                             f'{reason}') from None


def main():
    args = parse_args()
    with one_line_errors('pytorch2onnx.py'):
        require_file(args.checkpoint, 'checkpoint')
        model = init_reid_model(args.config, args.checkpoint)
        if model.pose is not None and not isinstance(model.pose, (CachedHeatmaps,
                                                                  MMPoseHeatmaps)):
            raise UserInputError(f'pose source {type(model.pose).__name__} is not exportable')
        image_shape = tuple(args.shape) if args.shape else test_image_shape(model.cfg)
        modality = None if args.modality == MODALITY_INPUT else MODALITY_CODES[args.modality]
        graph = ReIDFeatureGraph(model, modality).eval()
        maps_shape = None
        if isinstance(model.pose, CachedHeatmaps):
            maps_shape = heatmap_shape(model.cfg, model.neck.num_joints, args.heatmap_shape)
        images, modalities, heatmaps = check_batch(image_shape, args.check_batch, modality,
                                                   maps_shape)
        names, example = ['images'], [images]
        if modality is None:
            names.append('modalities')
            example.append(modalities)
        if heatmaps is not None:
            names.append('heatmaps')
            example.append(heatmaps)
        # the eager run comes first: weights loaded on first use (the online pose network's)
        # must be loaded before tracing, or the loading's copies would be traced
        torch_feats = pytorch_features(model, images, modalities, heatmaps).numpy()
        export(graph, tuple(example), names, args.out, args.opset)

    import onnxruntime
    session = onnxruntime.InferenceSession(args.out, providers=['CPUExecutionProvider'])
    onnx_feats = session.run(None, {n: t.numpy() for n, t in zip(names, example)})[0]
    max_diff = float(np.abs(onnx_feats - torch_feats).max())
    print(f'exported {args.out}: inputs {names} (images {args.check_batch} x 3 x '
          f'{image_shape[0]} x {image_shape[1]}), features {onnx_feats.shape[1]}-d')
    print(f'max abs diff onnxruntime vs pytorch: {max_diff:.3e}')
    if not max_diff <= args.tolerance:
        print(f'pytorch2onnx.py: error: max abs diff {max_diff:.3e} exceeds --tolerance '
              f'{args.tolerance:g}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
