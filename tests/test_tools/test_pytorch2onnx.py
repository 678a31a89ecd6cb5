"""tools/deployment/pytorch2onnx.py as a subprocess: the exported graph gives the model's own
test features (checked by the tool and again here on real images), and a model whose
neck cannot be exported fails with the exporter's reason on one line."""
import glob
import os.path as osp
import re

import cv2
import numpy as np
import onnxruntime
import pytest
import torch

from conftest import REPO, make_workspace, run_tool
from vireid_toolbox.apis import extract_features, init_reid_model

EXPORT = osp.join(REPO, 'tools/deployment/pytorch2onnx.py')
HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-2e_synthetic-sysu-mm01-192x96.py')
PDFENET = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-4e_synthetic-sysu-mm01-192x96.py')


@pytest.fixture(scope='module')
def workspace(tmp_path_factory, tiny_sysu_root):
    return make_workspace(tmp_path_factory.mktemp('onnx_ws'), tiny_sysu_root)


def checkpoint_of(config, path):
    """A checkpoint whose two modality streams differ (a fresh build has equal copies)."""
    model = init_reid_model(config, None)
    torch.manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.02 * torch.randn_like(param))
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


def test_export_with_a_modality_input_matches_pytorch(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    checkpoint = checkpoint_of(HCTRI, str(workspace / 'hctri.pth'))
    proc = run_tool(EXPORT, HCTRI, checkpoint, '--out', 'hctri.onnx', '--modality', 'input',
                    cwd=workspace)
    diff = float(re.search(r'max abs diff onnxruntime vs pytorch: (\S+)', proc.stdout).group(1))
    assert diff < 1e-4
    assert "inputs ['images', 'modalities']" in proc.stdout

    # real images, resized as the test pipeline does, one modality per batch and a batch size
    # other than the traced one: the graph's features are extract_features' features
    paths = sorted(glob.glob('data/synthetic_sysu_mm01/cam3/*/*.jpg'))[:3]
    images = [cv2.resize(cv2.imread(p), (96, 192), interpolation=cv2.INTER_LINEAR) for p in paths]
    session = onnxruntime.InferenceSession('hctri.onnx', providers=['CPUExecutionProvider'])
    batch = np.stack([image.transpose(2, 0, 1) for image in images]).astype(np.float32)
    model = init_reid_model(HCTRI, checkpoint)
    for modality in (0, 1):
        onnx_feats = session.run(None, dict(images=batch,
                                            modalities=np.full(3, modality, np.int64)))[0]
        expected = extract_features(model, images, modality).numpy()
        assert onnx_feats.shape == (3, 1536)
        assert np.abs(onnx_feats - expected).max() < 1e-4
    assert np.abs(session.run(None, dict(images=batch, modalities=np.zeros(3, np.int64)))[0]
                  - session.run(None, dict(images=batch, modalities=np.ones(3, np.int64)))[0]
                  ).max() > 1e-3  # the modality input really routes


def test_export_of_pdfenet_fails_clearly(workspace):
    checkpoint = checkpoint_of(PDFENET, str(workspace / 'pdfenet.pth'))
    proc = run_tool(EXPORT, PDFENET, checkpoint, '--out', 'pdfenet.onnx', check=False,
                    cwd=workspace)
    assert proc.returncode == 2, proc.stderr[-3000:]
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith('pytorch2onnx.py: error: ONNX export failed')
    assert 'ADMG' in error and 'CachedHeatmaps' in error
    assert 'max abs diff' not in proc.stdout



def test_export_with_a_fixed_modality_and_shape(workspace):
    """One graph per side: the modality is baked in and the graph takes only the images."""
    checkpoint = checkpoint_of(HCTRI, str(workspace / 'hctri_fixed.pth'))
    proc = run_tool(EXPORT, HCTRI, checkpoint, '--out', 'fixed/ir.onnx', '--modality',
                    'infrared', '--shape', '128', '64', '--check-batch', '2', cwd=workspace)
    diff = float(re.search(r'max abs diff onnxruntime vs pytorch: (\S+)', proc.stdout).group(1))
    assert diff < 1e-4 and "inputs ['images'] (images 2 x 3 x 128 x 64)" in proc.stdout
    session = onnxruntime.InferenceSession(str(workspace / 'fixed/ir.onnx'),
                                           providers=['CPUExecutionProvider'])
    (images, ) = session.get_inputs()
    assert images.name == 'images' and images.shape[1:] == [3, 128, 64]
    assert session.get_outputs()[0].shape[1] == 1536
