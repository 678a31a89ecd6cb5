"""VIReIDModel.features, the tensor-only test path, against backbone -> neck -> head composed by
hand, with flip test: cached heatmaps are mirrored with the image, an online source runs on the
mirrored image. mode='tensor' (data samples) runs the same path."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

from vireid_toolbox.datasets.pose_cache import MPII_FLIP_PAIRS
from vireid_toolbox.registry import MODELS
from vireid_toolbox.structures import ReIDDataSample
from vireid_toolbox.utils import register_all_modules

PDFENET = 'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
PDFENET_ONLINE = 'configs/pdfenet/pdfenet_r18_online-pose_1xb16-1e_synthetic-sysu-mm01-96x48.py'


def build_flip_test_model(repo_root, config, inputs, modalities, maps=None):
    """The config's model with flip test, modality streams that differ (a fresh build has equal
    copies) and BatchNorm statistics of the batch (so that activations stay of order one)."""
    register_all_modules()
    cfg = Config.fromfile(f'{repo_root}/{config}')
    model = MODELS.build(dict(cfg.model, test_cfg=dict(flip=True)))
    torch.manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.05 * torch.randn_like(param))
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.momentum = None  # the running statistics become the batch's
                module.reset_running_stats()
        model.train()
        model.head.predict(model.backbone_neck(inputs, modalities, maps))
    return model.eval()


def mirrored_maps(maps):
    """Maps of the mirrored image: flipped, left/right joints exchanged."""
    partner = list(range(maps.shape[1]))
    for left, right in MPII_FLIP_PAIRS:
        partner[left], partner[right] = right, left
    return maps.flip(-1)[:, partner]


def by_hand(model, inputs, modalities, maps, mirrored):
    feats = model.head.predict(model.neck(model.backbone(inputs, modalities), maps))
    flipped = inputs.flip(-1)
    feats = feats + model.head.predict(model.neck(model.backbone(flipped, modalities), mirrored))
    return F.normalize(feats, dim=1)


@torch.no_grad()
def test_features_with_cached_heatmaps(repo_root):
    gen = torch.Generator().manual_seed(1)
    inputs = torch.randn(4, 3, 96, 48, generator=gen)  # 6 x 3 maps; 16 x 8 heatmaps
    modalities = torch.tensor([0, 1, 1, 0])
    maps = torch.rand(4, 16, 16, 8, generator=gen)
    model = build_flip_test_model(repo_root, PDFENET, inputs, modalities, maps)
    expected = by_hand(model, inputs, modalities, maps, mirrored_maps(maps))
    torch.testing.assert_close(model.features(inputs, modalities, maps), expected)

    samples = []
    for modality, sample_maps in zip(modalities.tolist(), maps):
        samples.append(ReIDDataSample(metainfo=dict(modality=modality)))
        samples[-1].heatmaps = sample_maps
    torch.testing.assert_close(model(inputs, samples, mode='tensor'), expected)
    unflipped = by_hand(model, inputs, modalities, maps, maps)
    assert (unflipped - expected).abs().max() > 1e-4  # the mirrored maps matter

    with pytest.raises(ValueError, match='CachedHeatmaps reads the heatmaps from the data'):
        model.features(inputs, modalities)


@torch.no_grad()
def test_features_with_an_online_pose_source(repo_root):
    inputs = torch.randn(2, 3, 96, 48, generator=torch.Generator().manual_seed(1))
    modalities = torch.tensor([1, 0])
    model = build_flip_test_model(repo_root, PDFENET_ONLINE, inputs, modalities)
    expected = by_hand(model, inputs, modalities, model.pose(inputs),
                       model.pose(inputs.flip(-1)))
    torch.testing.assert_close(model.features(inputs, modalities), expected)
    samples = [ReIDDataSample(metainfo=dict(modality=m)) for m in modalities.tolist()]
    torch.testing.assert_close(model(inputs, samples, mode='tensor'), expected)

    with pytest.raises(ValueError, match="heatmaps= is for the CachedHeatmaps pose source, this "
                                         "model's is MMPoseHeatmaps"):
        model.features(inputs, modalities, torch.zeros(2, 16, 24, 12))
