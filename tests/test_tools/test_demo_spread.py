"""The demo's spread over seeds: its statistics, the README tables made from it, run_demo's check."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from conftest import REPO, load_tool_module, run_tool

DEMO_SPREAD = osp.join(REPO, 'tools/analysis_tools/demo_spread.py')


@pytest.fixture(scope='module')
def spread_tool():
    return load_tool_module('tools/analysis_tools/demo_spread.py')


def _spread(values_per_seed, seeds=(0, 1, 2)):
    """A spread file's content whose every metric takes ``values_per_seed``."""
    tool = load_tool_module('tools/analysis_tools/demo_spread.py')
    metrics = {name: list(values_per_seed) for name in tool.COLUMNS}
    return dict(command='cmd', machine='m', seeds=list(seeds),
                values={'HcTri': {setting: dict(metrics) for setting in tool.SETTINGS}})


def test_summary_is_mean_sample_std_min_max(spread_tool):
    values = [27.7, 34.6, 8.3, 21.0]
    s = spread_tool.summary(values)
    assert s['mean'] == pytest.approx(np.mean(values))
    assert s['std'] == pytest.approx(np.std(values, ddof=1))
    assert (s['min'], s['max']) == (8.3, 34.6)


def test_this_run_is_marked_outside_the_spread(spread_tool):
    spread = _spread([20.0, 30.0, 25.0])
    inside = {f'sysu/{s}/{m}': 22.0 for s in spread_tool.SETTINGS for m in spread_tool.COLUMNS}
    outside = dict(inside, **{'sysu/all-single/R1': 35.0})
    lines = spread_tool.beside_spread({'HcTri': inside}, spread)
    assert '| HcTri | all-single | 22.0 [20.0–30.0] | 22.0 [20.0–30.0] |' in '\n'.join(lines)
    assert not any('*' in line for line in lines[4:])
    lines = spread_tool.beside_spread({'HcTri': outside}, spread)
    assert '| HcTri | all-single | 35.0 * [20.0–30.0] |' in '\n'.join(lines)
    lines = spread_tool.beside_spread({'DEEN': inside}, spread)
    assert '| DEEN | (no spread measured) |' in '\n'.join(lines)


def test_readme_tables_are_the_spread_file(spread_tool):
    """README.md's demo tables are rendered from demo/spread.json, seed 0's numbers first."""
    spread = spread_tool.read_spread(osp.join(REPO, spread_tool.SPREAD_FILE))
    with open(osp.join(REPO, 'README.md')) as f:
        readme = f.read()
    assert spread_tool.render_readme(readme, spread) == readme, \
        'README.md is out of date: python tools/analysis_tools/demo_spread.py --render'
    assert spread['seeds'][0] == 0  # the table `make demo` prints is the first
    first = spread['values']['PDFENet']['all-single']['R1'][0]
    assert f'| PDFENet | all-single | {first:.1f} |' in readme


def test_check_fails_on_a_stale_readme(tmp_path):
    repo = tmp_path / 'repo'
    for rel in ('README.md', 'demo/spread.json', 'tools/analysis_tools/demo_spread.py'):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(osp.join(REPO, rel), repo / rel)
    tool = str(repo / 'tools/analysis_tools/demo_spread.py')
    assert run_tool(tool, '--check', check=False, timeout=60).returncode == 0
    spread = json.loads((repo / 'demo/spread.json').read_text())
    spread['values']['PDFENet']['all-single']['R1'][0] += 1.0
    (repo / 'demo/spread.json').write_text(json.dumps(spread))
    proc = run_tool(tool, '--check', check=False, timeout=60)
    assert proc.returncode == 1 and 'README.md demo tables differ' in proc.stderr
    run_tool(tool, '--render', timeout=60)
    assert run_tool(tool, '--check', check=False, timeout=60).returncode == 0


def test_bad_spread_file_is_named(tmp_path, spread_tool):
    path = tmp_path / 'spread.json'
    with pytest.raises(ValueError, match=f'{path} does not exist'):
        spread_tool.read_spread(str(path))
    broken = _spread([1.0, 2.0])  # two values for three seeds
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match=r'values.HcTri.all-single.R1 has 2 values for 3 seeds'):
        spread_tool.read_spread(str(path))
    del broken['machine']
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match="key 'machine' is missing"):
        spread_tool.read_spread(str(path))


def test_run_demo_trains_with_the_seed_given(monkeypatch, tmp_path):
    run_demo = load_tool_module('tools/run_demo.py')
    calls = []

    def record(args, log_file):
        calls.append(args)
        raise SystemExit(0)  # stop after the training command

    monkeypatch.setattr(run_demo, 'run', record)
    with pytest.raises(SystemExit):
        run_demo.train_and_test('HcTri', run_demo.METHODS['HcTri'], str(tmp_path), seed=3)
    assert calls[0][:2] == ['tools/train.py', run_demo.METHODS['HcTri']]
    assert 'randomness.seed=3' in calls[0]


def test_demo_table_takes_each_methods_tagged_keys():
    """Flip-TTA methods (DEEN, AGW, CAJ) report sysu/<setting>+flip/...: the demo's table and its
    check beside the spread read them and say so, instead of failing at the end of the run."""
    run_demo = load_tool_module('tools/run_demo.py')
    plain = {f'sysu/{s}/{m}': 10.0 + i for i, s in enumerate(run_demo.SETTINGS)
             for m in (*run_demo.COLUMNS, 'R5')}
    flip = {k.replace('-single/', '-single+flip/').replace('-multi/', '-multi+flip/'): v + 50
            for k, v in plain.items()}
    table = run_demo.results_table({'HcTri': dict(metrics=plain), 'DEEN': dict(metrics=flip)}, 16)
    assert '| HcTri | all-single | 10.0 | 10.0 | 10.0 | 10.0 | 10.0 |' in table
    assert '| DEEN | indoor-multi+flip | 63.0 | 63.0 | 63.0 | 63.0 | 63.0 |' in table
    spread = _spread([60.0, 70.0, 65.0])
    spread['values']['DEEN'] = spread['values'].pop('HcTri')
    lines = '\n'.join(run_demo.beside_spread({'DEEN': flip}, spread))
    assert '| DEEN | all-single | 60.0 [60.0–70.0] |' in lines
    with pytest.raises(KeyError, match='one key of all-single/R1 expected'):
        run_demo.setting_key({**plain, 'sysu/all-single+rerank/R1': 1.0}, 'all-single', 'R1')
