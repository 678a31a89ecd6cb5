"""LLCMMetric end to end on a tiny LLCM tree (DEEN protocol) of empty JPEG files."""
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch

from vireid_toolbox.evaluation.functional import rank_metrics
from vireid_toolbox.registry import METRICS

TEST_IDS = [12, 3, 7]
VIS_CAMS, NIR_CAMS = (1, 2, 3, 5), (1, 2, 4)
KEYS = ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')


def folder(root, modality, camera, pid):
    return osp.join(root, 'test_vis' if modality == 0 else 'test_nir', f'cam{camera}', f'{pid:04d}')


@pytest.fixture
def llcm_root(tmp_path):
    root = str(tmp_path / 'LLCM')
    rng = random.Random(0)
    for modality, cams in ((0, VIS_CAMS), (1, NIR_CAMS)):
        for camera in cams:
            for pid in TEST_IDS:
                if (modality, camera, pid) == (0, 5, 3):
                    continue  # an (id, camera) without images
                os.makedirs(folder(root, modality, camera, pid))
                for i in range(rng.randint(1, 4)):
                    name = f'{pid:04d}_c{camera:02d}_{i:03d}.jpg'
                    open(osp.join(folder(root, modality, camera, pid), name), 'wb').close()
    os.makedirs(osp.join(root, 'idx'))
    with open(osp.join(root, 'idx', 'test_id.txt'), 'w') as f:
        f.write(','.join(map(str, TEST_IDS)))
    return root


def images(root, modality, camera, pid):
    path = folder(root, modality, camera, pid)
    return [osp.join(path, n) for n in sorted(os.listdir(path))] if osp.isdir(path) else []


def packed_samples(root, seed=0):
    gen = torch.Generator().manual_seed(seed)
    centres = {pid: torch.randn(10, generator=gen) for pid in TEST_IDS}
    samples = []
    for modality, cams in ((0, VIS_CAMS), (1, NIR_CAMS)):
        for camera in cams:
            for pid in TEST_IDS:
                for path in images(root, modality, camera, pid):
                    feat = centres[pid] + 1.5 * torch.randn(10, generator=gen)
                    samples.append(dict(img_path=path, gt_label=torch.tensor(pid), camera=camera,
                                        modality=modality, tta=None, pred_feature=feat / feat.norm()))
    return samples


def expected(root, samples, query_modality, num_trials):
    """DEEN's protocol written out: all query images; per trial random.seed(trial),
    one random.choice per (id ascending, camera ascending) of the other modality."""
    by_path = {s['img_path']: s for s in samples}
    q_cams, g_cams = (VIS_CAMS, NIR_CAMS) if query_modality == 0 else (NIR_CAMS, VIS_CAMS)
    query = [(p, pid, cam) for pid in sorted(TEST_IDS) for cam in q_cams
             for p in images(root, query_modality, cam, pid)]
    q = torch.stack([by_path[p]['pred_feature'] for p, _, _ in query])
    trials = []
    for trial in range(num_trials):
        random.seed(trial)
        gallery = [(random.choice(images(root, 1 - query_modality, cam, pid)), pid, cam)
                   for pid in sorted(TEST_IDS) for cam in g_cams
                   if images(root, 1 - query_modality, cam, pid)]
        g = torch.stack([by_path[p]['pred_feature'] for p, _, _ in gallery])
        out = rank_metrics((1 - q @ g.T).numpy(), [x[1] for x in query], [x[1] for x in gallery],
                           [x[2] for x in query], [x[2] for x in gallery], ignore_cam_pairs=(),
                           ignore_same_id_same_cam=True, cmc_mode='unique')
        trials.append([100 * out['cmc'][k - 1] for k in (1, 5, 10, 20)] +
                      [100 * out['mAP'], 100 * out['mINP']])
    return dict(zip(KEYS, np.mean(trials, axis=0)))


def test_both_directions_match_the_deen_protocol(llcm_root):
    samples = packed_samples(llcm_root)
    metric = METRICS.build(dict(type='LLCMMetric', data_root=llcm_root, num_trials=4))
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    assert set(metrics) == {f'llcm/{d}/{k}' for d in ('v2t', 't2v') for k in KEYS}
    for direction, query_modality in (('v2t', 0), ('t2v', 1)):
        for key, value in expected(llcm_root, samples, query_modality, 4).items():
            assert metrics[f'llcm/{direction}/{key}'] == pytest.approx(value, abs=1e-4), (direction, key)


def test_missing_query_images_are_named(llcm_root):
    samples = [s for s in packed_samples(llcm_root) if '/test_nir/cam4/' not in s['img_path']]
    metric = METRICS.build(dict(type='LLCMMetric', data_root=llcm_root, directions=('t2v', )))
    metric.process(None, samples)
    with pytest.raises(ValueError, match=r't2v query.*did not provide.*test_nir/cam4/'):
        metric.evaluate(len(samples))


@pytest.mark.parametrize('cfg, message', [
    (dict(directions=('i2v', )), 'directions must be among'),
    (dict(num_trials=-1), 'num_trials must be a positive int'),
])
def test_bad_config_is_refused(cfg, message):
    with pytest.raises(ValueError, match=message):
        METRICS.build(dict(type='LLCMMetric', data_root='unused', **cfg))


def test_val_split_draws_the_same_protocol_from_the_evaluated_images(llcm_root):
    # split='val' never reads the test folders: the query is every evaluated image of one
    # modality and the gallery the seeded draw over the evaluated (id, camera) groups of the
    # other, which on the test images is DEEN's protocol again
    samples = packed_samples(llcm_root)
    metric = METRICS.build(dict(type='LLCMMetric', data_root='/nonexistent', num_trials=3,
                                split='val', prefix='val'))
    metric.dataset_meta = dict(dataset_name='LLCM', dataset_version='v', split='val')
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    for direction, query_modality in (('v2t', 0), ('t2v', 1)):
        for key, value in expected(llcm_root, samples, query_modality, 3).items():
            assert metrics[f'val/{direction}/{key}'] == pytest.approx(value, abs=1e-4)
    assert metric.report['val/t2v/R1']['direction'] == 'thermal-to-visible'
    assert metric.report['val/t2v/R1']['split'] == 'val'
    assert metric.report['val/t2v/R1']['gallery_draw'] == 'seeded'
