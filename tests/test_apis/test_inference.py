"""init_reid_model and extract_features: weights loaded strictly, features equal to the
evaluation path's, modality routing, and the honest handling of cached pose heatmaps."""
import glob
import os.path as osp
import shutil

import cv2
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from conftest import REPO, make_workspace
from vireid_toolbox.apis import extract_features, init_reid_model
from vireid_toolbox.registry import DATASETS
from vireid_toolbox.utils.tool_utils import UserInputError

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
PDFENET = osp.join(REPO, 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
PDFENET_ONLINE = osp.join(
    REPO, 'configs/pdfenet/pdfenet_r18_online-pose_1xb16-1e_synthetic-sysu-mm01-96x48.py')


@pytest.fixture
def workspace(tmp_path, tiny_sysu_root, monkeypatch):
    """cwd where the synthetic configs' ``data/synthetic_sysu_mm01`` is the tiny set."""
    monkeypatch.chdir(make_workspace(tmp_path, tiny_sysu_root))
    return tmp_path


def save_trained_like_checkpoint(config, path):
    """A checkpoint in tools/train.py's format with weights unlike a fresh build."""
    model = init_reid_model(config, None)
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.01 * torch.randn_like(param))
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return model.state_dict()


def test_init_reid_model_loads_the_checkpoint(workspace):
    checkpoint = str(workspace / 'model.pth')
    saved = save_trained_like_checkpoint(HCTRI, checkpoint)
    model = init_reid_model(HCTRI, checkpoint)
    assert not model.training and model.cfg.model.backbone.depth == 18
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key

    with pytest.raises(UserInputError, match='checkpoint missing/epoch_3.pth does not exist'):
        init_reid_model(HCTRI, 'missing/epoch_3.pth')
    with pytest.raises(UserInputError, match='does not fit the model.*size mismatch'):
        init_reid_model(HCTRI, checkpoint, cfg_options={'model.head.num_classes': 5})


def test_features_equal_the_evaluation_path(workspace):
    """extract_features on files == the test data set through the model's test_step."""
    model = init_reid_model(HCTRI, None)
    init_default_scope('vireid_toolbox')
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    indices = list(range(0, len(dataset), 3))[:5]
    batch = pseudo_collate([dataset[i] for i in indices])
    expected = torch.stack([s.pred_feature for s in model.test_step(batch)])

    infos = [dataset.get_data_info(i) for i in indices]
    feats = extract_features(model, [info['img_path'] for info in infos],
                             [info['modality'] for info in infos], batch_size=2)
    assert feats.shape == expected.shape and feats.shape[1] == 6 * 256
    torch.testing.assert_close(feats, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(feats.norm(dim=1), torch.ones(len(indices)))

    arrays = [cv2.imread(info['img_path']) for info in infos]
    from_arrays = extract_features(model, arrays, [info['modality'] for info in infos])
    torch.testing.assert_close(from_arrays, feats, atol=1e-6, rtol=1e-6)


def test_modality_routes_each_image(workspace):
    checkpoint = str(workspace / 'model.pth')  # the two streams start as copies: perturb them
    save_trained_like_checkpoint(HCTRI, checkpoint)
    model = init_reid_model(HCTRI, checkpoint)
    images = sorted(glob.glob('data/synthetic_sysu_mm01/cam1/*/*.jpg'))[:2]
    visible = extract_features(model, images, 'visible')
    infrared = extract_features(model, images, 'infrared')
    assert (visible - infrared).abs().max() > 1e-3  # the modality-specific stages differ
    mixed = extract_features(model, images, ['visible', 1])
    torch.testing.assert_close(mixed, torch.stack([visible[0], infrared[1]]))
    with pytest.raises(UserInputError, match="modality 'thermal'"):
        extract_features(model, images, 'thermal')
    with pytest.raises(UserInputError, match='3 modalities for 2 images'):
        extract_features(model, images, [0, 1, 0])
    with pytest.raises(UserInputError, match='nope.jpg does not exist'):
        extract_features(model, ['nope.jpg'], 'visible')


def test_cached_heatmaps_only_for_images_of_the_data_set(workspace):
    model = init_reid_model(PDFENET, None)
    init_default_scope('vireid_toolbox')
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    batch = pseudo_collate([dataset[0], dataset[1]])
    expected = torch.stack([s.pred_feature for s in model.test_step(batch)])
    infos = [dataset.get_data_info(i) for i in (0, 1)]
    paths = [info['img_path'] for info in infos]  # absolute, resolved through the link
    feats = extract_features(model, paths, [info['modality'] for info in infos])
    torch.testing.assert_close(feats, expected, atol=1e-5, rtol=1e-5)

    outside = str(workspace / 'plain.jpg')
    shutil.copy(paths[0], outside)
    with pytest.raises(UserInputError, match='plain.jpg has no heatmaps in the pose cache.*'
                       'online-pose'):
        extract_features(model, [paths[0], outside], 'visible')
    with pytest.raises(UserInputError, match='not arrays'):
        extract_features(model, [cv2.imread(paths[0])], 'visible')


def test_online_pose_source_takes_any_file(workspace):
    model = init_reid_model(PDFENET_ONLINE, None)
    outside = str(workspace / 'plain.jpg')
    shutil.copy(sorted(glob.glob('data/synthetic_sysu_mm01/cam3/*/*.jpg'))[0], outside)
    feats = extract_features(model, [outside], 'infrared')
    assert feats.shape == (1, 2048) and torch.isfinite(feats).all()
