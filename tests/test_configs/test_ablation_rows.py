"""Every paper table row has a config that builds the component the row names.

One test per row of PDFENet Tables 4-6 and ADMPFF-Net Tables 1, 4-7 and Figs. 5-6: the part of the
model the row is about (backbone, neck or head) is built from the row's config and the built modules
are inspected, on the 18-row map of a 288x144 input where a row names a region. To stay fast the
parts are built at ResNet-18 width (512 channels, ResNet-18 stages) with 8 classes: the rows are
about which stages are specific / shared / duplicated, which regions are pooled and which losses
are on, not about the widths.
"""
import os
import os.path as osp
from functools import lru_cache

import pytest
from mmengine.config import Config

from conftest import REPO
from vireid_toolbox.models.necks.part_pooling import region_rows, strip_boundaries
from vireid_toolbox.registry import MODELS
from vireid_toolbox.utils import register_all_modules
from vireid_toolbox.utils.config_check import drop_init_cfg

MAP_ROWS = 18  # ADMPFF-Net: 288x144 input, last_stride=1 -> 18x9
WIDTH = 512  # ResNet-18's last map


@lru_cache(maxsize=None)
def load(name):
    """The model config of ``configs/<name>.py`` at ResNet-18 width, and the whole config."""
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', name + '.py'))
    model = cfg.model.to_dict()
    drop_init_cfg(model)
    model['backbone']['depth'] = 18
    if model.get('neck'):
        model['neck']['in_channels'] = WIDTH
    model['head']['num_classes'] = 8
    if model['head']['type'] == 'PDFENetHead':
        model['head']['in_channels'] = WIDTH
    return model, cfg


@lru_cache(maxsize=None)
def build(name, part):
    """The built ``part`` ('backbone', 'neck', 'head') of the model of ``configs/<name>.py``."""
    part_cfg = load(name)[0][part]
    return None if part_cfg is None else MODELS.build(part_cfg)


def admpff(variant=''):
    return f'admpff_net/admpff-net{variant}_r50_1xb96-80e_sysu-mm01-288x144'


def pdfenet(variant='', data='sysu-mm01'):
    return f'pdfenet/pdfenet{variant}_r50_1xb64-240e_{data}-384x128'


# ---------------------------------------------------------------- ADMPFF-Net Tables 1 and 4
# row -> (config variant, specific, shared (fusion), duplicated (independent subspaces))
STAGE_ROWS = {
    'table4 1-2 = table1 scheme 3': ('', (0, ), (1, 2), (3, 4)),
    'table4 1-3 = table1 scheme 1': ('-fusion1-3', (0, ), (1, 2, 3), (4, )),
    'table4 2': ('-fusion2', (0, 1), (2, ), (3, 4)),
    'table4 2-3 = table1 scheme 2': ('-fusion2-3', (0, 1), (2, 3), (4, )),
    'table4 3': ('-fusion3', (0, 1, 2), (3, ), (4, )),
    'table4 2-4 (no disentanglement)': ('-fusion2-4', (0, 1), (2, 3, 4), ()),
    'table1 scheme 4': ('-fusion1', (0, ), (1, ), (2, 3, 4)),
}


@pytest.mark.parametrize('row', STAGE_ROWS)
def test_admpff_fusion_stage_rows(row):
    variant, specific, shared, duplicated = STAGE_ROWS[row]
    backbone = build(admpff(variant), 'backbone')
    assert (backbone.specific_stages, backbone.shared_stages,
            backbone.duplicated_stages) == (specific, shared, duplicated)
    # one copy of the specific stages per modality, one shared copy, one duplicate per branch
    assert [len(stream) for stream in backbone.specific] == [len(specific)] * 2
    assert backbone.specific[0][0] is not backbone.specific[1][0]
    assert len(backbone.shared) == len(shared)
    if duplicated:  # two granularity branches + LIE, each with its own weights
        assert [len(branch) for branch in backbone.duplicated] == [len(duplicated)] * 3
        assert len({id(branch[0]) for branch in backbone.duplicated}) == 3
    else:
        assert backbone.duplicated is None and backbone.num_branches == 1


# ---------------------------------------------------------------- ADMPFF-Net Table 5
@pytest.mark.parametrize('variant, strips', [
    ('', [(0, 3), (3, 9), (9, 18)]),  # posture 1:2:3
    ('-equal3', [(0, 6), (6, 12), (12, 18)]),
    ('-equal6', [(3 * i, 3 * i + 3) for i in range(6)]),
    ('-equal9', [(2 * i, 2 * i + 2) for i in range(9)]),
])
def test_admpff_first_branch_cut_rows(variant, strips):
    first, second = build(admpff(variant), 'neck').branches
    assert strip_boundaries(MAP_ROWS, first.ratios) == strips
    assert strip_boundaries(MAP_ROWS, second.ratios) == [(3 * i, 3 * i + 3) for i in range(6)]
    assert build(admpff(variant), 'head').strips_per_branch == (len(strips), 6)


# ---------------------------------------------------------------- ADMPFF-Net Table 6
@pytest.mark.parametrize('variant, local, global_', [
    ('', True, True), ('-global-loss-only', False, True), ('-local-loss-only', True, False)])
def test_admpff_granularity_loss_rows(variant, local, global_):
    head = build(admpff(variant), 'head')
    assert (head.local_classifiers is not None, head.global_classifiers is not None) == \
        (local, global_)
    if global_:  # "Global 3 / Global 6": a branch's strips concatenated, one classifier each
        assert [c.fcs[0].in_features for c in head.global_classifiers] == [3 * 512, 6 * 512]
        assert all(len(c.fcs) == 1 for c in head.global_classifiers)
    if local:  # one classifier per strip
        assert [len(c.fcs) for c in head.local_classifiers] == [3, 6]


# ---------------------------------------------------------------- ADMPFF-Net Table 7
@pytest.mark.parametrize('variant, triplet', [
    ('', 'HeteroCenterTripletLoss'), ('-triplet', 'BatchHardTripletLoss')])
def test_admpff_loss_type_rows(variant, triplet):
    loss = build(admpff(variant), 'head').loss_module
    assert type(loss.triplet_loss).__name__ == triplet
    assert loss.triplet_loss.margin == 0.3
    assert (loss.alpha, loss.beta) == (1.0, 1.0)  # Table 3, SYSU-MM01
    assert loss.id_loss.epsilon == 0.1


def test_admpff_table7_unweighted_row_has_no_config():
    # "unweighted" = alpha = beta = 1 = the SYSU-MM01 recipe itself (deviations.md)
    assert not osp.exists(osp.join(REPO, 'configs', admpff('-unweighted-hc') + '.py'))


# ---------------------------------------------------------------- ADMPFF-Net Figs. 5 and 6
# figure row -> (config variant, LIE rows of the 18-row map or None, pooling)
LIE_ROWS = {
    'fig5 LIE = fig6b legs 3x9': ('', (15, 18), 'max'),
    'fig5 global part': ('-global-part', (0, 18), 'max'),
    'fig5 attention': ('-attention', (0, 18), 'attention'),
    'fig5 none': ('-no-lie', None, None),
    'fig6a head': ('-lie-head', (0, 3), 'max'),
    'fig6a torso': ('-lie-torso', (3, 9), 'max'),
    'fig6a lower body = fig6b legs 9x9': ('-lie-lower-body', (9, 18), 'max'),
    'fig6b legs 6x9': ('-lie-leg6x9', (12, 18), 'max'),
}


@pytest.mark.parametrize('row', LIE_ROWS)
def test_admpff_enhancement_branch_rows(row):
    variant, rows, pooling = LIE_ROWS[row]
    neck, head = build(admpff(variant), 'neck'), build(admpff(variant), 'head')
    lie, branches = neck.enhance, load(admpff(variant))[0]['backbone']['num_branches']
    assert branches == neck.num_maps  # one duplicated backbone branch per map the neck reads
    if rows is None:
        assert lie is None and head.enhance_classifier is None and branches == 2
        return
    assert type(lie).__name__ == 'LIE' and head.enhance_classifier is not None
    assert region_rows(MAP_ROWS, lie.region) == rows and lie.pooling == pooling
    assert (lie.attention is not None) == (pooling == 'attention')


# ---------------------------------------------------------------- PDFENet Table 4 (and Table 6)
# row -> (config variant, ADMG, IDI, CMCE)
COMPONENT_ROWS = {
    'baseline': ('-baseline', False, False, False),
    '+ADMG': ('-admg', True, False, False),
    '+CMCE': ('-cmce', False, False, True),
    '+ADMG +CMCE': ('-admg-cmce', True, False, True),
    '+ADMG +IDI +CMCE': ('', True, True, True),
}


@pytest.mark.parametrize('data', ['sysu-mm01', 'regdb'])
@pytest.mark.parametrize('row', COMPONENT_ROWS)
def test_pdfenet_component_rows(row, data):
    variant, admg, idi, cmce = COMPONENT_ROWS[row]
    name = pdfenet(variant, data)
    model_cfg, cfg = load(name)
    neck, head = build(name, 'neck'), build(name, 'head')
    assert (type(neck).__name__ == 'ADMG') == admg and (model_cfg['pose'] is not None) == admg
    if admg:
        assert neck.modes == dict(top='adaptive', mid='adaptive', low='part')
        assert neck.needs_heatmaps
    assert head.num_details == (3 if admg else 0)
    assert (head.idi is not None) == idi
    assert (head.loss_cmce is not None) == cmce
    assert (head.loss_id is not None) != cmce  # CMCE replaces the plain identity loss
    if cmce:
        assert (head.loss_cmce.lambda_soft, head.loss_cmce.lambda_id) == (2.5, 0.5)
    assert set(head.feature_losses) == {'center'}  # the baseline's centre loss, every row
    hooks = [hook['type'] for hook in cfg.get('custom_hooks', [])]
    assert hooks == (['MomentumUpdateHook'] if cmce else [])


# ---------------------------------------------------------------- PDFENet Table 5
@pytest.mark.parametrize('data', ['sysu-mm01', 'regdb'])
@pytest.mark.parametrize('variant, modes', [
    ('-ppp', ('part', 'part', 'part')), ('-app', ('adaptive', 'part', 'part')),
    ('', ('adaptive', 'adaptive', 'part')), ('-aaa', ('adaptive', 'adaptive', 'adaptive'))])
def test_pdfenet_detail_extraction_rows(variant, modes, data):
    neck, head = build(pdfenet(variant, data), 'neck'), build(pdfenet(variant, data), 'head')
    assert neck.modes == dict(zip(('top', 'mid', 'low'), modes))
    assert (head.idi is not None) and (head.loss_cmce is not None)
    if 'adaptive' in modes:  # the credibility of eq. 2 weighs the adaptive groups' joints
        assert neck.credibility.out_features == len(neck.selected)
    else:
        assert neck.credibility is None and not neck.needs_heatmaps


# ---------------------------------------------------------------- PDFENet Table 6
def test_pdfenet_table6_expat_row_has_no_config():
    # expAT's triplet construction is in no source available to us (deviations.md)
    assert not [p for p in os.listdir(osp.join(REPO, 'configs', 'pdfenet')) if 'expat' in p.lower()]


@pytest.mark.parametrize('variant, extra', [
    ('-baseline', None), ('-baseline-wrt', 'WeightedRegularizationTriplet'),
    ('-baseline-hct', 'HeteroCenterTripletLoss')])
def test_pdfenet_distance_loss_rows(variant, extra):
    head = build(pdfenet(variant), 'head')
    losses = {name: type(loss).__name__ for name, loss in head.feature_losses.items()}
    assert losses.pop('center') == 'CenterLoss'
    assert list(losses.values()) == ([extra] if extra else [])
    assert head.loss_cmce is None and head.idi is None and head.num_details == 0
