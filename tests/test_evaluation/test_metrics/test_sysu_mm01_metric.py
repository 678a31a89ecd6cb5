"""SYSUMM01Metric end to end on a tiny SYSU-MM01 tree of empty JPEG files."""
import logging
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from vireid_toolbox.evaluation.functional import k_reciprocal_rerank, rank_metrics
from vireid_toolbox.registry import METRICS

TEST_IDS = [9, 2, 5]
# images per (camera, id) of the test ids; cam 4 of id 5 is missing on purpose
COUNTS = {(1, 2): 3, (2, 2): 12, (4, 2): 1, (5, 2): 2, (3, 2): 2, (6, 2): 3,
          (1, 5): 2, (2, 5): 1, (5, 5): 11, (3, 5): 3,
          (1, 9): 1, (2, 9): 2, (4, 9): 4, (5, 9): 1, (3, 9): 1, (6, 9): 2}
INFRARED = {3, 6}
FEAT_DIM = 16


@pytest.fixture
def sysu_root(tmp_path):
    root = tmp_path / 'SYSU-MM01'
    for camera in range(1, 7):
        os.makedirs(root / f'cam{camera}')
    for (camera, pid), num in COUNTS.items():
        folder = root / f'cam{camera}' / f'{pid:04d}'
        os.makedirs(folder)
        for i in range(1, num + 1):
            (folder / f'{i:04d}.jpg').write_bytes(b'')
    os.makedirs(root / 'exp')
    (root / 'exp' / 'test_id.txt').write_text(','.join(map(str, TEST_IDS)))
    return str(root)


def image_files(root, camera, pid):
    folder = osp.join(root, f'cam{camera}', f'{pid:04d}')
    return [osp.join(folder, n) for n in sorted(os.listdir(folder))] if osp.isdir(folder) else []


def packed_samples(root, tta=None, seed=0):
    """Dicts shaped like packed ReIDDataSamples after ``model.predict``."""
    gen = torch.Generator().manual_seed(seed)
    centres = {pid: torch.randn(FEAT_DIM, generator=gen) for pid in TEST_IDS}
    samples = []
    for (camera, pid) in sorted(COUNTS):
        for path in image_files(root, camera, pid):
            feat = centres[pid] + 1.5 * torch.randn(FEAT_DIM, generator=gen)
            samples.append(dict(img_path=path, gt_label=torch.tensor(pid), camera=camera,
                                modality=int(camera in INFRARED), tta=tta,
                                pred_feature=feat / feat.norm()))
    return samples


def reference_gallery(root, cameras, trial, shots):
    """The community draw, written out: seed, ids ascending, cameras in order, sorted files."""
    random.seed(trial)
    items = []
    for pid in sorted(TEST_IDS):
        for camera in cameras:
            files = image_files(root, camera, pid)
            if not files:
                continue
            chosen = [random.choice(files)] if shots == 1 else random.sample(files, min(10, len(files)))
            items.extend((path, pid, camera) for path in chosen)
    return items


def expected_metrics(root, samples, mode, shots, num_trials=10, rerank_cfg=None):
    by_path = {s['img_path']: s for s in samples}
    query = [(p, pid, cam) for pid in sorted(TEST_IDS) for cam in (3, 6)
             for p in image_files(root, cam, pid)]
    q_feat = torch.stack([by_path[p]['pred_feature'] for p, _, _ in query])
    cameras = (1, 2, 4, 5) if mode == 'all' else (1, 2)
    trials = []
    for trial in range(num_trials):
        gallery = reference_gallery(root, cameras, trial, shots)
        g_feat = torch.stack([by_path[p]['pred_feature'] for p, _, _ in gallery])
        if rerank_cfg is None:
            dist = (1 - q_feat @ g_feat.T).numpy()
        else:
            dist = k_reciprocal_rerank(q_feat, g_feat, **rerank_cfg)
        out = rank_metrics(dist, [q[1] for q in query], [g[1] for g in gallery],
                           [q[2] for q in query], [g[2] for g in gallery],
                           ignore_cam_pairs=((3, 2), ), cmc_mode='unique')
        trials.append([100 * out['cmc'][k - 1] for k in (1, 5, 10, 20)] +
                      [100 * out['mAP'], 100 * out['mINP']])
    return dict(zip(['R1', 'R5', 'R10', 'R20', 'mAP', 'mINP'], np.mean(trials, axis=0)))


def run_metric(samples, **cfg):
    metric = METRICS.build(dict(type='SYSUMM01Metric', **cfg))
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_all_settings_match_the_protocol_written_out(sysu_root):
    samples = packed_samples(sysu_root)
    random.shuffle(samples)  # the metric matches images by path, not by order
    metrics = run_metric(samples, data_root=sysu_root)
    settings = ['all-single', 'all-multi', 'indoor-single', 'indoor-multi']
    assert set(metrics) == {f'sysu/{s}/{k}' for s in settings
                            for k in ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')}
    for setting in settings:
        mode, shot = setting.split('-')
        expected = expected_metrics(sysu_root, samples, mode, 1 if shot == 'single' else 10)
        for key, value in expected.items():
            assert metrics[f'sysu/{setting}/{key}'] == pytest.approx(value, abs=1e-4), (setting, key)
    # the random features must give non-trivial numbers for the comparison to mean anything
    assert 0 < metrics['sysu/all-single/mAP'] < 100


def test_per_trial_values_are_logged(sysu_root):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        run_metric(packed_samples(sysu_root), data_root=sysu_root, modes=('indoor', ),
                   shots=(1, ), num_trials=3)
    finally:
        logger.removeHandler(handler)
    lines = [r.getMessage() for r in records if 'sysu/indoor-single trial' in r.getMessage()]
    assert [line.split(':')[0] for line in lines] == [f'sysu/indoor-single trial {t}' for t in range(3)]
    assert all('R1 ' in line and 'mINP ' in line for line in lines)


def test_rerank_and_flip_tag_every_key(sysu_root):
    samples = packed_samples(sysu_root, tta='flip')
    rerank_cfg = dict(k1=4, k2=2, lambda_value=0.3)
    metrics = run_metric(samples, data_root=sysu_root, modes=('all', ), shots=(1, ), num_trials=2,
                         rerank=True, rerank_cfg=rerank_cfg)
    assert set(metrics) == {f'sysu/all-single+rerank+flip/{k}'
                            for k in ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')}
    expected = expected_metrics(sysu_root, samples, 'all', 1, num_trials=2, rerank_cfg=rerank_cfg)
    assert metrics['sysu/all-single+rerank+flip/mAP'] == pytest.approx(expected['mAP'], abs=1e-4)
    flip_only = run_metric(samples, data_root=sysu_root, modes=('all', ), shots=(1, ), num_trials=2)
    assert set(flip_only) == {f'sysu/all-single+flip/{k}'
                              for k in ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')}


def test_missing_gallery_images_are_named(sysu_root):
    samples = [s for s in packed_samples(sysu_root) if '/cam5/0005/' not in s['img_path']]
    with pytest.raises(ValueError, match=r'did not provide.*cam5/0005/'):
        run_metric(samples, data_root=sysu_root, modes=('all', ), shots=(1, ), num_trials=1)


def test_mixed_tta_is_refused(sysu_root):
    samples = packed_samples(sysu_root)
    samples[0]['tta'] = 'flip'
    with pytest.raises(ValueError, match='different test-time augmentations'):
        run_metric(samples, data_root=sysu_root)


def test_sample_without_feature_is_named(sysu_root):
    samples = packed_samples(sysu_root)
    del samples[1]['pred_feature']
    metric = METRICS.build(dict(type='SYSUMM01Metric', data_root=sysu_root))
    with pytest.raises(KeyError, match='has no pred_feature'):
        metric.process(None, samples)


@pytest.mark.parametrize('cfg, message', [
    (dict(modes=('outdoor', )), 'modes must be among'),
    (dict(shots=(5, )), 'shots must be among'),
    (dict(num_trials=0), 'num_trials must be a positive int'),
    (dict(draw='random'), 'draw must be'),
    (dict(ranks=(0, 1)), 'ranks must be positive ints'),
    (dict(rerank_cfg=dict(k=3)), 'rerank_cfg keys'),
])
def test_bad_config_is_refused(cfg, message):
    with pytest.raises(ValueError, match=message):
        METRICS.build(dict(type='SYSUMM01Metric', data_root='unused', **cfg))


def test_report_labels_every_number(sysu_root):
    metric = METRICS.build(dict(type='SYSUMM01Metric', data_root=sysu_root, num_trials=3,
                                draw='seeded', rerank=True, rerank_cfg=dict(k1=4, k2=2)))
    metric.dataset_meta = dict(dataset_name='SYSU-MM01', dataset_version='v1', split='test')
    samples = packed_samples(sysu_root, tta='flip')
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    assert set(metric.report) == set(metrics)
    for key, entry in metric.report.items():
        assert entry['value'] == metrics[key] == pytest.approx(np.mean(entry['trials']))
        assert len(entry['trials']) == 3
        mode, shots = key.split('/')[1].split('+')[0].split('-')
        assert {k: v for k, v in entry.items() if k not in ('value', 'trials')} == dict(
            dataset='SYSU-MM01', dataset_version='v1', split='test',
            search=f'{mode}-search {shots}-shot', direction='infrared-to-visible',
            gallery_draw='seeded', num_trials=3, rerank=True, flip_tta=True, tta='flip')
