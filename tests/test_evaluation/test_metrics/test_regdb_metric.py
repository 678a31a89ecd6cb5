"""RegDBMetric: both directions on one trial's test set, raw-ranking CMC, no camera rule."""
import numpy as np
import pytest
import torch

from vireid_toolbox.evaluation.functional import rank_metrics
from vireid_toolbox.registry import METRICS

KEYS = ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')


def packed_samples(num_ids=5, per_modality=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for pid in range(num_ids):
        centre = torch.randn(12, generator=gen)
        for modality, camera, folder in ((0, 1, 'Visible'), (1, 2, 'Thermal')):
            for i in range(per_modality):
                feat = centre + 1.2 * torch.randn(12, generator=gen)
                samples.append(dict(img_path=f'/regdb/{folder}/{pid}/{i}.bmp', gt_label=torch.tensor(pid),
                                    camera=camera, modality=modality, tta=None,
                                    pred_feature=feat / feat.norm()))
    return samples


def expected(samples, query_modality):
    query = [s for s in samples if s['modality'] == query_modality]
    gallery = [s for s in samples if s['modality'] != query_modality]
    q = torch.stack([s['pred_feature'] for s in query])
    g = torch.stack([s['pred_feature'] for s in gallery])
    out = rank_metrics((1 - q @ g.T).numpy(), [int(s['gt_label']) for s in query],
                       [int(s['gt_label']) for s in gallery], ignore_cam_pairs=(),
                       cmc_mode='standard')
    values = [100 * out['cmc'][k - 1] for k in (1, 5, 10, 20)] + [100 * out['mAP'], 100 * out['mINP']]
    return dict(zip(KEYS, values))


def test_both_directions_match_the_protocol():
    samples = packed_samples()
    metric = METRICS.build(dict(type='RegDBMetric'))
    metric.process(None, samples[::-1])
    metrics = metric.evaluate(len(samples))
    assert set(metrics) == {f'regdb/{d}/{k}' for d in ('v2t', 't2v') for k in KEYS}
    for direction, query_modality in (('v2t', 0), ('t2v', 1)):
        for key, value in expected(samples, query_modality).items():
            assert metrics[f'regdb/{direction}/{key}'] == pytest.approx(value, abs=1e-4)
    assert metrics['regdb/v2t/mAP'] != metrics['regdb/t2v/mAP']


def test_cmc_is_on_the_raw_ranking():
    # one visible query of id 0; thermal gallery ranked: id 1, id 1, id 0
    samples = [dict(img_path=f'/regdb/{i}.bmp', gt_label=torch.tensor(pid), camera=cam,
                    modality=mod, tta=None, pred_feature=torch.tensor(feat))
               for i, (pid, cam, mod, feat) in enumerate([
                   (0, 1, 0, [1.0, 0.0]), (1, 2, 1, [0.9, 0.1]), (1, 2, 1, [0.8, 0.2]),
                   (0, 2, 1, [0.5, 0.5])])]
    metric = METRICS.build(dict(type='RegDBMetric', directions=('v2t', ), ranks=(1, 2, 3)))
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    # raw ranking: first match at rank 3 (the deduplicated one would say rank 2)
    assert [metrics[f'regdb/v2t/R{k}'] for k in (1, 2, 3)] == [0.0, 0.0, 100.0]
    assert metrics['regdb/v2t/mAP'] == pytest.approx(100 / 3)


def test_one_direction_and_flip_tag():
    samples = packed_samples()
    for sample in samples:
        sample['tta'] = 'flip'
    metric = METRICS.build(dict(type='RegDBMetric', directions=('t2v', ), ranks=(1, 10)))
    metric.process(None, samples)
    assert set(metric.evaluate(len(samples))) == {
        f'regdb/t2v+flip/{k}' for k in ('R1', 'R10', 'mAP', 'mINP')}


def test_a_missing_modality_is_named():
    samples = [s for s in packed_samples() if s['modality'] == 0]
    metric = METRICS.build(dict(type='RegDBMetric'))
    metric.process(None, samples)
    with pytest.raises(ValueError, match='v2t needs both modalities'):
        metric.evaluate(len(samples))


def test_bad_direction_is_refused():
    with pytest.raises(ValueError, match='directions must be among'):
        METRICS.build(dict(type='RegDBMetric', directions=('v2v', )))


def test_report_names_the_trained_split():
    samples = packed_samples()
    metric = METRICS.build(dict(type='RegDBMetric', directions=('v2t', )))
    metric.dataset_meta = dict(dataset_name='RegDB', dataset_version='v', split='test', trial=7)
    metric.process(None, samples)
    metrics = metric.evaluate(len(samples))
    entry = metric.report['regdb/v2t/mAP']
    assert entry['value'] == metrics['regdb/v2t/mAP'] and entry['trials'] == [entry['value']]
    assert entry['split'] == 'test (trial 7)' and entry['direction'] == 'visible-to-thermal'
    assert (entry['gallery_draw'], entry['num_trials'], entry['rerank'], entry['flip_tta']) == \
        ('none (all)', 1, False, False)


def test_an_image_collected_twice_is_refused():
    """A padded duplicate of a distributed sampler would be one more gallery item of RegDB."""
    samples = packed_samples()
    metric = METRICS.build(dict(type='RegDBMetric'))
    metric.process(None, samples + samples[-1:])
    with pytest.raises(ValueError, match='Thermal/4/3.bmp more than once'):
        metric.evaluate(len(samples) + 1)
