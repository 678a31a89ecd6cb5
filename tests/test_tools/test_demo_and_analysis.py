"""The retrieval demo and the analysis tools, run as a user runs them (subprocesses), on a
checkpoint and logs from two training iterations of the synthetic HcTri config."""
import glob
import json
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from conftest import IN_PROCESS_EVALUATION, REPO, make_workspace, run_tool, write_config
from vireid_toolbox.apis import extract_features, init_reid_model
from vireid_toolbox.visualization.ranked_list import (BACKGROUND, MATCH_COLOR, MISMATCH_COLOR,
                                                      RankedListStyle)

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
DEMO = osp.join(REPO, 'demo/retrieval_demo.py')
ANALYZE = osp.join(REPO, 'tools/analysis_tools/analyze_logs.py')
AGGREGATE = osp.join(REPO, 'tools/analysis_tools/aggregate_trials.py')
BROWSE = osp.join(REPO, 'tools/misc/browse_dataset.py')
PRINT_CONFIG = osp.join(REPO, 'tools/misc/print_config.py')
# two iterations, one validation (model selection: on the held-out val ids), a checkpoint;
# in-process loaders; two gallery trials
SHORT_RUN = """
model_selection = True
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION
STYLE = RankedListStyle()  # the demo draws with the default style
ROW_GAP = 8  # stack_rows' default


@pytest.fixture(scope='module')
def trained(tmp_path_factory, tiny_sysu_root):
    """``(workspace, config, checkpoint, work_dir)`` after two training iterations."""
    workspace = make_workspace(tmp_path_factory.mktemp('demo_ws'), tiny_sysu_root)
    config = write_config(workspace, HCTRI, SHORT_RUN, name='short_hctri.py')
    work_dir = str(workspace / 'work')
    run_tool(osp.join(REPO, 'tools/train.py'), config, '--work-dir', work_dir, cwd=workspace)
    return workspace, config, osp.join(work_dir, 'iter_2.pth'), work_dir


def last_validation(work_dir):
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))[0]
    records = [json.loads(line) for line in open(scalars)]
    return records, [r for r in records if 'val/all-single/R1' in r][-1]


def parse_ranking(text):
    """``[(query, [(rank, distance, verdict, gallery path), ...]), ...]``."""
    queries = []
    for line in text.splitlines():
        head = re.match(r'query \d+: (\S+)', line)
        entry = re.match(r'\s+#(\d+)\s+d=(\S+)\s+(match|wrong)?\s*(\S+)', line)
        if head:
            queries.append((head.group(1), []))
        elif entry:
            queries[-1][1].append((int(entry.group(1)), float(entry.group(2)),
                                   entry.group(3), entry.group(4)))
    return queries


def frame_pixel(figure, row, rank):
    """A pixel of the top frame side of the ``rank``-th gallery image of row ``row``."""
    cell_w, cell_h = STYLE.cell_size
    x = cell_w + 3 * STYLE.gap + (rank - 1) * (cell_w + STYLE.gap) + cell_w // 2
    return tuple(figure[row * (cell_h + ROW_GAP) + 1, x])


def test_retrieval_demo_on_sysu_style_folders(trained):
    workspace, config, checkpoint, _ = trained
    query_dir, gallery_dir = 'data/synthetic_sysu_mm01/cam3', 'data/synthetic_sysu_mm01/cam1'
    proc = run_tool(DEMO, config, checkpoint, '--query', query_dir, '--gallery', gallery_dir,
                    '--topk', '3', '--rows-per-image', '4', '--out-dir', 'demo_out',
                    cwd=workspace)
    text = open(workspace / 'demo_out/ranking.txt').read()
    assert text in proc.stdout
    ranking = parse_ranking(text)
    queries = sorted(glob.glob(str(workspace / query_dir / '*/*.jpg')))
    gallery = sorted(glob.glob(str(workspace / gallery_dir / '*/*.jpg')))
    assert len(ranking) == len(queries) == 7 and all(len(r) == 3 for _, r in ranking)

    # the distances and the order are those of the model's features (cosine distance)
    model = init_reid_model(config, checkpoint)
    distances = (1 - extract_features(model, queries, 'infrared')
                 @ extract_features(model, gallery, 'visible').T).numpy()
    for q, (query, entries) in enumerate(ranking):
        assert osp.abspath(workspace / query) == queries[q]
        expected = np.argsort(distances[q], kind='stable')[:3]
        for (rank, distance, verdict, path), g in zip(entries, expected):
            assert osp.abspath(workspace / path) == gallery[g]
            assert distance == pytest.approx(distances[q, g], abs=1e-4)
            same_id = path.split('/')[-2] == query.split('/')[-2]
            assert verdict == ('match' if same_id else 'wrong')

    # 7 queries at 4 per PNG: two figures; frames green for a match, red otherwise
    pngs = sorted(glob.glob(str(workspace / 'demo_out/ranked_list_*.png')))
    assert [osp.basename(p) for p in pngs] == ['ranked_list_000.png', 'ranked_list_001.png']
    cell_w, cell_h = STYLE.cell_size
    for png, rows in zip(pngs, (4, 3)):
        figure = cv2.imread(png)
        assert figure.shape == (rows * cell_h + (rows - 1) * ROW_GAP, 4 * cell_w + 5 * STYLE.gap,
                                3)
    for q, (_, entries) in enumerate(ranking):
        figure = cv2.imread(pngs[q // 4])
        for rank, _, verdict, _ in entries:
            colour = MATCH_COLOR if verdict == 'match' else MISMATCH_COLOR
            assert frame_pixel(figure, q % 4, rank) == colour, (q, rank)


def test_retrieval_demo_on_a_plain_folder(trained):
    workspace, config, checkpoint, _ = trained
    plain = workspace / 'plain_gallery'
    plain.mkdir()
    sources = sorted(glob.glob(str(workspace / 'data/synthetic_sysu_mm01/cam2/*/*.jpg')))[:3]
    for index, source in enumerate(sources):
        shutil.copy(source, plain / f'person_{index}.jpg')
    query = str(workspace / 'one_query.jpg')
    shutil.copy(sorted(glob.glob(str(workspace / 'data/synthetic_sysu_mm01/cam6/*/*.jpg')))[0],
                query)
    run_tool(DEMO, config, checkpoint, '--query', query, '--gallery', str(plain),
             '--out-dir', 'plain_out', cwd=workspace)
    ranking = parse_ranking(open(workspace / 'plain_out/ranking.txt').read())
    assert len(ranking) == 1 and len(ranking[0][1]) == 3  # --topk 10 capped by 3 images
    assert all(verdict is None for _, _, verdict, _ in ranking[0][1])
    distances = [d for _, d, _, _ in ranking[0][1]]
    assert distances == sorted(distances)
    figure = cv2.imread(str(workspace / 'plain_out/ranked_list_000.png'))
    for rank in (1, 2, 3):
        assert frame_pixel(figure, 0, rank) == BACKGROUND

    proc = run_tool(DEMO, config, 'missing.pth', '--query', query, '--gallery', str(plain),
                    check=False, cwd=workspace)
    assert proc.returncode == 2
    assert proc.stderr.strip() == 'retrieval_demo.py: error: checkpoint missing.pth does not exist'


def test_analyze_logs_draws_the_curves(trained):
    workspace, _, _, work_dir = trained
    proc = run_tool(ANALYZE, work_dir, '--out-dir', 'curves', cwd=workspace)
    records, validation = last_validation(work_dir)
    last_loss = [r for r in records if 'loss' in r][-1]['loss']
    assert f'{work_dir}: loss: 2 points, last {last_loss:.6g} at step 2' in proc.stdout
    r1 = validation['val/all-single/R1']
    assert f'{work_dir}: val/all-single/R1: 1 points, last {r1:.6g}' in proc.stdout
    for name in ('losses.png', 'metrics.png'):
        image = cv2.imread(str(workspace / 'curves' / name))
        assert image.shape == (450, 800, 3)  # figsize 8 x 4.5 at 100 dpi
        coloured = (image.max(axis=2).astype(int) - image.min(axis=2)) > 60
        assert coloured.sum() > 200, f'{name}: no curve drawn'


def test_aggregate_trials_mean_and_std(trained):
    workspace, _, _, work_dir = trained
    _, validation = last_validation(work_dir)
    keys = [k for k in validation if k.startswith('val/')]
    rng = np.random.default_rng(0)
    trials = [{k: validation[k] for k in keys}]  # the work dir is the first trial
    paths = [work_dir]
    for index in range(3):
        trial = {k: float(rng.uniform(0, 100)) for k in keys}
        if index == 0:
            trial['extra/R1'] = 50.0  # in one result only: left out, with a note
        path = workspace / f'trial_{index}.json'
        path.write_text(json.dumps(trial))
        trials.append(trial)
        paths.append(str(path))
    proc = run_tool(AGGREGATE, *paths, '--out', 'table.md', cwd=workspace)
    table = open(workspace / 'table.md').read()
    assert table in proc.stdout and "'extra/R1'" in proc.stderr and 'extra/R1 |' not in table
    rows = {line.split('|')[1].strip(): line for line in table.splitlines()
            if line.startswith('| val/')}
    assert sorted(rows) == sorted(keys)
    for key in keys:
        values = np.array([t[key] for t in trials])
        assert rows[key] == (f'| {key} | {values.mean():.2f} ± {values.std():.2f} | '
                             f'{values.min():.2f} | {values.max():.2f} | 4 | — |')


def test_aggregate_trials_over_the_gallery_trials_of_one_metrics_file(tmp_path):
    labels = dict(dataset='SYSU-MM01', dataset_version='original', split='test',
                  search='all-search single-shot', direction='infrared-to-visible',
                  gallery_draw='official', num_trials=3, rerank=False, flip_tta=True)
    trials = [10.0, 20.0, 45.0]
    record = dict(config='c.py', checkpoint='c.pth', checkpoint_sha256='0' * 64,
                  metrics={'sysu/all-single+flip/R1': dict(value=25.0, trials=trials, **labels)})
    path = tmp_path / 'metrics.json'
    path.write_text(json.dumps(record))
    proc = run_tool(AGGREGATE, str(path))
    row = [line for line in proc.stdout.splitlines() if line.startswith('| sysu/')]
    protocol = '; '.join(f'{k}: {v}' for k, v in labels.items())
    assert row == [f'| sysu/all-single+flip/R1 | 25.00 ± {np.std(trials):.2f} | 10.00 | 45.00 | 3 | '
                   f'{protocol} |']
    del record['metrics']['sysu/all-single+flip/R1']['trials']
    path.write_text(json.dumps(record))
    proc = run_tool(AGGREGATE, str(path), check=False)
    assert proc.returncode == 2 and 'one result without per-trial values' in proc.stderr


def test_browse_dataset_overlays_heatmaps(trained):
    workspace, config, _, _ = trained
    run_tool(BROWSE, config, '--output-dir', 'browse', '--num', '3', cwd=workspace)
    pngs = sorted(glob.glob(str(workspace / 'browse/*.png')))
    assert len(pngs) == 3
    for png in pngs:
        assert re.search(r'_id\d+_cam[1-6]_(visible|infrared)\.png$', png)
        figure = cv2.imread(png)
        # 64x32 original at 96 rows (48 wide) | 96x48 input | heatmap overlay, 6 px apart
        assert figure.shape == (96, 3 * 48 + 2 * 6, 3)
        packed, overlay = figure[:, 54:102], figure[:, 108:156]
        assert np.abs(packed.astype(int) - overlay).mean() > 10, 'no heatmap overlay'


def test_print_config_resolves_and_saves(trained):
    workspace, config, _, _ = trained
    proc = run_tool(PRINT_CONFIG, config, '--cfg-options', 'model.backbone.depth=34',
                    '--save', 'resolved.py', cwd=workspace)
    assert 'depth=34' in proc.stdout and "type='HcTriHead'" in proc.stdout
    resolved = Config.fromfile(str(workspace / 'resolved.py'))
    assert resolved.model.backbone.depth == 34
    assert resolved.train_cfg.max_iters == 2  # the derived config's override, merged
