"""The numbers of tools/test.py, checked rather than range-checked.

A checkpoint trained here is evaluated by ``tools/test.py --out`` on small SYSU-MM01, RegDB and
LLCM test sets (each of an odd size). The written numbers (means and per-trial values) must equal

- metrics computed in this module from scratch: features extracted in-process, distances in
  float64, the galleries the protocol functions draw, and a plain per-query ranking with the
  textbook CMC / AP / INP (nothing of ``vireid_toolbox.evaluation`` is used);
- exactly, those of ``tools/dist_test.sh`` with 2 processes, whose sampler pads the odd test set
  with a duplicate that must not reach the metrics.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import (REPO, checkpoint_state_dict, make_workspace, run_dist_tool, run_tool,
                      write_config)
from vireid_toolbox.datasets.llcm import llcm_gallery, llcm_query
from vireid_toolbox.datasets.synthetic import make_synthetic_regdb, make_synthetic_sysu_mm01
from vireid_toolbox.datasets.sysu_mm01 import sysu_gallery, sysu_query
from vireid_toolbox.registry import DATASETS, MODELS
from vireid_toolbox.utils import register_all_modules

HCTRI_SYNTHETIC = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
TRAIN = osp.join(REPO, 'tools/train.py')
TEST = osp.join(REPO, 'tools/test.py')
RANKS = (1, 5, 10, 20)
TRAIN_ONE_EPOCH = """
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
train_cfg = dict(max_epochs=1)
"""
EVALUATE = """
test_dataloader = dict(
    _delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type={dataset_type!r}, data_root={root!r}, test_mode=True, {split},
                 pipeline=[dict(type='LoadReIDImage'), dict(type='ReIDResize', scale=(48, 96)),
                           dict(type='PackReIDInputs')]))
test_evaluator = dict(_delete_=True, {metric})
"""
DATASETS_UNDER_TEST = {
    'sysu': ('SYSUMM01Dataset', "split='test'", "type='SYSUMM01Metric', data_root={root!r}"),
    'regdb': ('RegDBDataset', "split='test', trial=1", "type='RegDBMetric'"),
    'llcm': ('LLCMDataset', "split='test'", "type='LLCMMetric', data_root={root!r}"),
}
SYSU_TO_LLCM_FOLDER = {1: 'test_vis/cam1', 2: 'test_vis/cam2', 4: 'test_vis/cam4',
                       5: 'test_vis/cam5', 3: 'test_nir/cam1', 6: 'test_nir/cam6'}
"""SYSU camera -> LLCM folder of the LLCM tree built from SYSU images: infrared cam 3 becomes
near-infrared cam 1, the camera of visible cam 1, so LLCM's same-id-same-camera rule bites."""


def drop_one_file(folder):
    """Delete the last image of ``folder``: the test sets get odd sizes."""
    os.remove(osp.join(folder, sorted(os.listdir(folder))[-1]))


def build_llcm_from_sysu(sysu_root, llcm_root):
    """An LLCM test tree whose identity folders hold hard links to the SYSU test images."""
    test_ids = [int(x) for x in open(osp.join(sysu_root, 'exp', 'test_id.txt')).read().split(',')]
    for camera, folder in SYSU_TO_LLCM_FOLDER.items():
        for pid in test_ids:
            source = osp.join(sysu_root, f'cam{camera}', f'{pid:04d}')
            target = osp.join(llcm_root, folder, f'{pid:04d}')
            os.makedirs(target)
            for name in sorted(os.listdir(source)):
                os.link(osp.join(source, name), osp.join(target, f'{pid:04d}_{name}'))
    os.makedirs(osp.join(llcm_root, 'idx'))
    with open(osp.join(llcm_root, 'idx', 'test_id.txt'), 'w') as f:
        f.write(','.join(map(str, test_ids)))
    drop_one_file(osp.join(llcm_root, 'test_nir/cam6', f'{test_ids[0]:04d}'))


@pytest.fixture(scope='module')
def evaluation(tmp_path_factory, tiny_sysu_root):
    """A checkpoint trained for one epoch, the three test sets, a test config for each, and
    what ``tools/test.py --out`` wrote for each with one process."""
    tmp = tmp_path_factory.mktemp('test_tool_numbers')
    roots = dict(sysu=str(tmp / 'SYSU-MM01'), regdb=str(tmp / 'RegDB'), llcm=str(tmp / 'LLCM'))
    make_synthetic_sysu_mm01(roots['sysu'], num_ids=8, images_per_camera=3, num_test_ids=3,
                             num_val_ids=1, size=(64, 32), pose_cache=False, seed=3)
    test_ids = open(osp.join(roots['sysu'], 'exp', 'test_id.txt')).read().split(',')
    build_llcm_from_sysu(roots['sysu'], roots['llcm'])
    drop_one_file(osp.join(roots['sysu'], 'cam5', f'{int(test_ids[0]):04d}'))
    make_synthetic_regdb(roots['regdb'], num_ids=6, images_per_id=3, num_trials=1, size=(64, 32),
                         pose_cache=False, seed=4)
    thermal_list = osp.join(roots['regdb'], 'idx', 'test_thermal_1.txt')
    lines = open(thermal_list).read().splitlines()
    open(thermal_list, 'w').write('\n'.join(lines[:-1]) + '\n')

    workspace = make_workspace(tmp, tiny_sysu_root)
    work_dir = str(workspace / 'train')
    run_tool(TRAIN, write_config(workspace, HCTRI_SYNTHETIC, TRAIN_ONE_EPOCH), '--work-dir',
             work_dir, cwd=workspace, timeout=300)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    configs, metrics = {}, {}
    for name, (dataset_type, split, metric) in DATASETS_UNDER_TEST.items():
        body = EVALUATE.format(dataset_type=dataset_type, root=roots[name], split=split,
                               metric=metric.format(root=roots[name]))
        configs[name] = write_config(workspace, HCTRI_SYNTHETIC, body, name=f'test_{name}.py')
        out = str(workspace / f'{name}.json')
        run_tool(TEST, configs[name], checkpoint, '--work-dir', work_dir, '--out', out,
                 cwd=workspace, timeout=300)
        with open(out) as f:
            metrics[name] = json.load(f)
    return dict(workspace=workspace, roots=roots, checkpoint=checkpoint, configs=configs,
                metrics=metrics, work_dir=work_dir)


def extract_features(config, checkpoint):
    """``{image path: L2-normalised float64 feature}``, one image per forward pass."""
    register_all_modules()
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    model.load_state_dict(checkpoint_state_dict(checkpoint), strict=True)
    model.eval()
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(dataset) % 2 == 1, 'the test set must not split evenly over 2 processes'
    feats = {}
    with torch.no_grad():
        for index in range(len(dataset)):
            sample = model.test_step(pseudo_collate([dataset[index]]))[0]
            feat = sample.pred_feature.double()
            feats[sample.img_path] = (feat / feat.norm()).numpy()
    return feats, [dataset.get_data_info(i) for i in range(len(dataset))]


def plain_metrics(feats, query, gallery, ignored, deduplicate):
    """CMC, mAP and mINP (percent) by their definitions, one query at a time.

    Args:
        feats (dict): Image path -> normalised feature.
        query, gallery (list): ``(img_path, pid, camera)``.
        ignored (callable): ``(query item, gallery item) -> bool``: gallery items the protocol
            removes from this query's ranking.
        deduplicate (bool): CMC on the ranking that keeps each identity's first occurrence.

    Queries without a true match in their ranking are left out of every mean.
    """
    hits, aps, inps = {k: [] for k in RANKS}, [], []
    for q in query:
        kept = [g for g in gallery if not ignored(q, g)]
        dist = [1.0 - float(feats[q[0]] @ feats[g[0]]) for g in kept]
        ranking = [kept[i] for i in sorted(range(len(kept)), key=dist.__getitem__)]
        positions = [rank for rank, g in enumerate(ranking, 1) if g[1] == q[1]]
        if not positions:
            continue
        aps.append(np.mean([n / rank for n, rank in enumerate(positions, 1)]))
        inps.append(len(positions) / positions[-1])
        if deduplicate:
            ids = list(dict.fromkeys(g[1] for g in ranking))
            first = ids.index(q[1]) + 1
        else:
            first = positions[0]
        for k in RANKS:
            hits[k].append(first <= k)
    values = {f'R{k}': 100 * np.mean(hits[k]) for k in RANKS}
    values.update(mAP=100 * np.mean(aps), mINP=100 * np.mean(inps))
    return values


def per_trial(prefix, trials):
    """``{'<prefix>/<metric>': [value of each trial]}``."""
    return {f'{prefix}/{key}': [t[key] for t in trials] for key in trials[0]}


def sysu_expected(feats, root):
    """All/indoor search, single/multi-shot, 10 seeded gallery draws; cam-2 gallery images are
    ignored for cam-3 queries; CMC on the identity-deduplicated ranking."""
    query = sysu_query(root)
    expected = {}
    for mode in ('all', 'indoor'):
        for shots, shot_name in ((1, 'single'), (10, 'multi')):
            trials = [plain_metrics(feats, query, sysu_gallery(root, mode, trial, shots),
                                    lambda q, g: (q[2], g[2]) == (3, 2), deduplicate=True)
                      for trial in range(10)]
            expected.update(per_trial(f'sysu/{mode}-{shot_name}', trials))
    return expected


def regdb_expected(feats, infos):
    """Every image of one modality queries every image of the other; raw-ranking CMC."""
    items = {modality: [(i['img_path'], i['pid'], i['camera']) for i in infos
                        if i['modality'] == modality] for modality in (0, 1)}
    expected = {}
    for direction, (query_modality, gallery_modality) in (('v2t', (0, 1)), ('t2v', (1, 0))):
        result = plain_metrics(feats, items[query_modality], items[gallery_modality],
                               lambda q, g: False, deduplicate=False)
        expected.update(per_trial(f'regdb/{direction}', [result]))
    return expected


def llcm_expected(feats, root):
    """Both directions, 10 seeded gallery draws, same-id-same-camera gallery images ignored,
    CMC on the identity-deduplicated ranking."""
    expected = {}
    for direction, (query_modality, gallery_modality) in (('v2t', (0, 1)), ('t2v', (1, 0))):
        query = llcm_query(root, query_modality)
        trials = [plain_metrics(feats, query, llcm_gallery(root, gallery_modality, trial),
                                lambda q, g: (q[1], q[2]) == (g[1], g[2]), deduplicate=True)
                  for trial in range(10)]
        expected.update(per_trial(f'llcm/{direction}', trials))
    return expected


@pytest.mark.parametrize('name', list(DATASETS_UNDER_TEST))
def test_written_metrics_equal_an_independent_computation(evaluation, name):
    feats, infos = extract_features(evaluation['configs'][name], evaluation['checkpoint'])
    root = evaluation['roots'][name]
    if name == 'sysu':
        expected = sysu_expected(feats, root)
    elif name == 'regdb':
        expected = regdb_expected(feats, infos)
    else:
        expected = llcm_expected(feats, root)
    written = evaluation['metrics'][name]['metrics']
    assert written.keys() == expected.keys()
    for key, trials in expected.items():
        assert written[key]['trials'] == pytest.approx(trials, abs=1e-6), key
        assert written[key]['value'] == pytest.approx(np.mean(trials), abs=1e-6), key
    # the features are not degenerate: the metrics tell the trained model from chance
    assert len({round(entry['value'], 6) for entry in written.values()}) > 2


@pytest.mark.parametrize('name', list(DATASETS_UNDER_TEST))
def test_two_processes_write_exactly_the_single_process_metrics(evaluation, name):
    out = str(evaluation['workspace'] / f'{name}_2proc.json')
    proc = run_dist_tool('test.py', 2, evaluation['configs'][name], evaluation['checkpoint'],
                         '--work-dir', evaluation['work_dir'], '--out', out,
                         cwd=evaluation['workspace'])
    assert 'Distributed launcher: pytorch' in proc.stdout + proc.stderr
    with open(out) as f:  # every number, its per-trial values and labels, the checkpoint
        assert json.load(f) == evaluation['metrics'][name]
