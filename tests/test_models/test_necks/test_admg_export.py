"""ADMG's pooling equals adaptive max pooling exactly, and the neck exports to ONNX at PDFENet's
real sizes (64 x 24 heatmaps pooled to a 24 x 8 map: not a whole factor) with a dynamic batch."""
import warnings

import numpy as np
import onnxruntime
import pytest
import torch
import torch.nn.functional as F

from vireid_toolbox.models.necks import ADMG
from vireid_toolbox.models.necks.admg import adaptive_max_pool_static


@pytest.mark.parametrize('in_size, out_size', [
    ((12, 6), (6, 3)),  # whole factors: one max_pool2d
    ((64, 24), (24, 8)),  # HRNet's maps to PDFENet's 384x128 map
    ((13, 7), (5, 3)),
    ((5, 3), (12, 8)),  # more outputs than inputs: overlapping windows
])
def test_pooling_equals_adaptive_max_pool(in_size, out_size):
    maps = torch.rand(2, 5, *in_size, generator=torch.Generator().manual_seed(0))
    assert torch.equal(adaptive_max_pool_static(maps, out_size),
                       F.adaptive_max_pool2d(maps, out_size))


class HeatmapNeck(torch.nn.Module):
    """The neck's four outputs as one traceable graph."""

    def __init__(self, neck):
        super().__init__()
        self.neck = neck

    def forward(self, feat, heatmaps):
        return self.neck(feat, heatmaps)


def test_admg_exports_at_pdfenet_sizes(tmp_path):
    neck = ADMG(in_channels=4).eval()  # Table 5's best: top and mid adaptive, low part
    gen = torch.Generator().manual_seed(0)
    feat, heatmaps = torch.randn(2, 4, 24, 8, generator=gen), torch.rand(2, 16, 64, 24,
                                                                          generator=gen)
    path = str(tmp_path / 'admg.onnx')
    inputs, outputs = ['feat', 'heatmaps'], ['g', 'top', 'mid', 'low']
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the tracer's notes on the static sizes read as ints
        torch.onnx.export(HeatmapNeck(neck), (feat, heatmaps), path, dynamo=False,
                          input_names=inputs, output_names=outputs,
                          dynamic_axes={n: {0: 'batch'} for n in inputs + outputs},
                          opset_version=17)
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    feat, heatmaps = torch.randn(3, 4, 24, 8, generator=gen), torch.rand(3, 16, 64, 24,
                                                                          generator=gen)
    outputs = session.run(None, dict(feat=feat.numpy(), heatmaps=heatmaps.numpy()))
    with torch.no_grad():
        expected = neck(feat, heatmaps)
    assert [o.shape for o in outputs] == [(3, 4, 24, 8)] * 3 + [(3, 4, 8, 8)]
    for out, ref in zip(outputs, expected):
        assert np.abs(out - ref.numpy()).max() < 1e-5
