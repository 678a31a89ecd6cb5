"""tools/analysis_tools/modality_gap.py and tsne.py on a tiny synthetic checkpoint: their PNGs,
the modality-gap numbers against pair distances computed here, and the optional dependency."""
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO, load_tool_module, make_workspace, run_tool, write_config
from vireid_toolbox.apis import extract_test_set_features, init_reid_model

HCTRI = osp.join(REPO, 'configs/hctri/hctri_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
GAP = osp.join(REPO, 'tools/analysis_tools/modality_gap.py')
TSNE = osp.join(REPO, 'tools/analysis_tools/tsne.py')
IN_PROCESS = """
test_dataloader = dict(num_workers=0, persistent_workers=False)
"""


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, tiny_sysu_root):
    """``(workspace, config, checkpoint)``: the randomly initialised synthetic HcTri model."""
    workspace = make_workspace(tmp_path_factory.mktemp('gap_ws'), tiny_sysu_root)
    config = write_config(workspace, HCTRI, IN_PROCESS, name='hctri_tiny.py')
    torch.manual_seed(0)
    model = init_reid_model(config, None)
    path = str(workspace / 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return workspace, config, path


def pair_stats_by_hand(feats, ids, modalities):
    """Mean cosine distance and count of each pair group, one pair at a time."""
    groups = {}
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            kind = 'intra' if modalities[i] == modalities[j] else 'inter'
            sign = 'positive' if ids[i] == ids[j] else 'negative'
            d = 1 - float(np.dot(feats[i], feats[j]))
            groups.setdefault(f'{kind}-modality {sign}', []).append(d)
    return {k: (len(v), float(np.mean(v))) for k, v in groups.items()}


def test_modality_gap_numbers_and_png(checkpoint):
    workspace, config, path = checkpoint
    out_dir = str(workspace / 'gap')
    run_tool(GAP, config, path, '--out-dir', out_dir, cwd=workspace, timeout=120)
    stats = json.load(open(osp.join(out_dir, 'modality_gap.json')))
    image = cv2.imread(osp.join(out_dir, 'modality_gap.png'))
    assert image is not None and image.shape[0] > 100 and image.std() > 0

    previous = os.getcwd()
    os.chdir(workspace)  # the config's data root is relative to the workspace
    try:
        features = extract_test_set_features(init_reid_model(config, path))
    finally:
        os.chdir(previous)
    expected = pair_stats_by_hand(features.feats.numpy(), features.ids.tolist(),
                                  features.modalities.tolist())
    assert set(expected) == set(stats) - {'gap'}
    for name, (count, mean) in expected.items():
        assert stats[name]['count'] == count
        assert stats[name]['mean'] == pytest.approx(mean, abs=1e-5)
    assert stats['gap']['inter - intra positive mean'] == pytest.approx(
        expected['inter-modality positive'][1] - expected['intra-modality positive'][1], abs=1e-5)


def test_tsne_png(checkpoint):
    pytest.importorskip('sklearn')
    workspace, config, path = checkpoint
    out_dir = str(workspace / 'tsne')
    proc = run_tool(TSNE, config, path, '--out-dir', out_dir, '--max-ids', '2', cwd=workspace,
                    timeout=120)
    assert 'tsne.png' in proc.stdout
    image = cv2.imread(osp.join(out_dir, 'tsne.png'))
    assert image is not None and image.shape[0] > 100 and image.std() > 0


def test_tsne_without_scikit_learn_says_so(monkeypatch, capsys):
    tool = load_tool_module('tools/analysis_tools/tsne.py')
    monkeypatch.setitem(sys.modules, 'sklearn', None)  # `import sklearn` raises ImportError
    monkeypatch.setattr(sys, 'argv', ['tsne.py', HCTRI, 'unused.pth', '--out-dir', 'unused'])
    with pytest.raises(SystemExit) as exit_info:
        tool.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        'tsne.py: error: scikit-learn is not installed (an optional dependency of this tool): '
        'pip install scikit-learn']
