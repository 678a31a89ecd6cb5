"""tools/deployment/pytorch2onnx.py as a subprocess: the exported graphs of HcTri and PDFENet
(cached or online heatmaps) give the model's own test features (checked by the tool and again
here on real images), and an export the exporter refuses fails with its reason on one line."""
import glob
import os.path as osp
import re

import cv2
import numpy as np
import onnxruntime
import pytest
import torch

from conftest import REPO, make_workspace, run_tool, write_config
from vireid_toolbox.apis import extract_features, init_reid_model
from vireid_toolbox.apis.inference import build_test_pipeline

EXPORT = osp.join(REPO, 'tools/deployment/pytorch2onnx.py')
HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
PDFENET = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
PDFENET_ONLINE = osp.join(
    REPO, 'configs/pdfenet/pdfenet_r18_online-pose_1xb16-1e_synthetic-sysu-mm01-96x48.py')
DATA_ROOT = 'data/synthetic_sysu_mm01'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory, tiny_sysu_root):
    return make_workspace(tmp_path_factory.mktemp('onnx_ws'), tiny_sysu_root)


def max_abs_diff(proc):
    """The onnxruntime vs PyTorch difference the tool printed."""
    return float(re.search(r'max abs diff onnxruntime vs pytorch: (\S+)', proc.stdout).group(1))


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
    assert max_abs_diff(proc) < 1e-4
    assert "inputs ['images', 'modalities']" in proc.stdout

    # real images, resized as the test pipeline does, one modality per batch and a batch size
    # other than the traced one: the graph's features are extract_features' features
    paths = sorted(glob.glob('data/synthetic_sysu_mm01/cam3/*/*.jpg'))[:3]
    images = [cv2.resize(cv2.imread(p), (48, 96), interpolation=cv2.INTER_LINEAR) for p in paths]
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


def test_export_of_pdfenet_with_cached_heatmaps_matches_pytorch(workspace, monkeypatch):
    """ADMG exports: the cached heatmaps are a graph input, read as the test pipeline gives them."""
    monkeypatch.chdir(workspace)
    checkpoint = checkpoint_of(PDFENET, str(workspace / 'pdfenet.pth'))
    proc = run_tool(EXPORT, PDFENET, checkpoint, '--out', 'pdfenet.onnx', '--modality', 'input',
                    cwd=workspace)
    assert "inputs ['images', 'modalities', 'heatmaps']" in proc.stdout
    assert max_abs_diff(proc) < 1e-4

    # real images and their cached heatmaps through the test pipeline, a batch size other than
    # the traced one: the graph's features are extract_features' features
    model = init_reid_model(PDFENET, checkpoint)
    pipeline = build_test_pipeline(model.cfg, keep_cached_heatmaps=True, from_arrays=False)
    rel_paths = sorted(osp.relpath(p, DATA_ROOT)
                       for p in glob.glob(f'{DATA_ROOT}/cam3/*/*.jpg'))[:3]
    packed = [pipeline(dict(img_path=osp.abspath(osp.join(DATA_ROOT, rel)), rel_path=rel,
                            modality=1, camera=-1)) for rel in rel_paths]
    feed = dict(images=torch.stack([p['inputs'] for p in packed]).float().numpy(),
                modalities=np.ones(3, np.int64),
                heatmaps=torch.stack([p['data_samples'].heatmaps for p in packed]).float().numpy())
    session = onnxruntime.InferenceSession('pdfenet.onnx', providers=['CPUExecutionProvider'])
    onnx_feats = session.run(None, feed)[0]
    expected = extract_features(model, [osp.join(DATA_ROOT, rel) for rel in rel_paths],
                                'infrared').numpy()
    assert onnx_feats.shape == (3, 2048)
    assert np.abs(onnx_feats - expected).max() < 1e-4
    swapped = session.run(None, dict(feed, heatmaps=feed['heatmaps'][::-1].copy()))[0]
    # the heatmaps input really masks each sample (numerical noise is ~1e-7)
    assert np.abs(swapped - onnx_feats).max() > 1e-5


def test_export_of_pdfenet_with_online_pose(workspace):
    """The online mmpose network is traced into the graph, which then takes only images."""
    # the pose network is outside the ReID checkpoint: give it weights of its own, so that the
    # tool's process and this one run the same network
    pose_weights = str(workspace / 'pose_net.pth')
    torch.save(dict(state_dict=init_reid_model(PDFENET_ONLINE, None).pose.pose_net.state_dict()),
               pose_weights)
    config = write_config(workspace, PDFENET_ONLINE,
                          f'model = dict(pose=dict(checkpoint={pose_weights!r}))\n')
    checkpoint = checkpoint_of(config, str(workspace / 'pdfenet_online.pth'))
    proc = run_tool(EXPORT, config, checkpoint, '--out', 'online.onnx', '--check-batch', '2',
                    cwd=workspace)
    assert "inputs ['images'] (images 2 x 3 x 96 x 48)" in proc.stdout
    assert max_abs_diff(proc) < 1e-4

    # pose maps computed in the graph, not traced constants: other images, another batch size
    images = np.random.default_rng(0).integers(0, 256, (3, 96, 48, 3), dtype=np.uint8)
    session = onnxruntime.InferenceSession(str(workspace / 'online.onnx'),
                                           providers=['CPUExecutionProvider'])
    onnx_feats = session.run(None, dict(images=images.transpose(0, 3, 1, 2).astype(np.float32)))[0]
    expected = extract_features(init_reid_model(config, checkpoint), list(images),
                                'visible').numpy()
    assert np.abs(onnx_feats - expected).max() < 1e-4


def test_a_failed_export_is_one_clear_line(workspace):
    """An operation the exporter cannot express (the preprocessor's traced padding before opset
    11) fails with the exporter's reason on one line and no feature check."""
    checkpoint = checkpoint_of(HCTRI, str(workspace / 'hctri_opset.pth'))
    proc = run_tool(EXPORT, HCTRI, checkpoint, '--out', 'old.onnx', '--opset', '9',
                    '--shape', '128', '64', check=False, cwd=workspace)
    assert proc.returncode == 2, proc.stderr[-3000:]
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith('pytorch2onnx.py: error: ONNX export failed')
    assert 'PartPoolingNeck' in error and 'opset' in error
    assert 'max abs diff' not in proc.stdout


def test_export_with_a_fixed_modality_and_shape(workspace):
    """One graph per side: the modality is baked in and the graph takes only the images."""
    checkpoint = checkpoint_of(HCTRI, str(workspace / 'hctri_fixed.pth'))
    proc = run_tool(EXPORT, HCTRI, checkpoint, '--out', 'fixed/ir.onnx', '--modality',
                    'infrared', '--shape', '128', '64', '--check-batch', '2', cwd=workspace)
    assert max_abs_diff(proc) < 1e-4
    assert "inputs ['images'] (images 2 x 3 x 128 x 64)" in proc.stdout
    session = onnxruntime.InferenceSession(str(workspace / 'fixed/ir.onnx'),
                                           providers=['CPUExecutionProvider'])
    (images, ) = session.get_inputs()
    assert images.name == 'images' and images.shape[1:] == [3, 128, 64]
    assert session.get_outputs()[0].shape[1] == 1536
