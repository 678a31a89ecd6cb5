"""model-index.yml, the metafiles it imports, and README.md's model table generated from them."""
import copy
import os.path as osp
import shutil
import sys
from glob import glob

import pytest
import yaml
from mmengine.config import Config

from conftest import REPO, run_tool

sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
from update_model_table import (END, PROTOCOL, START, ModelIndexError,  # noqa: E402
                                load_models, metafile_paths, readme_diff, render_table,
                                replace_table)

TOOL = osp.join(REPO, 'tools/misc/update_model_table.py')
TASK = 'Visible-Infrared Person Re-Identification'
RESULTS_SOURCES = ('paper', 'measured', 'none')
# evaluation name in a metafile -> the test data set type its config must evaluate on
EVALUATIONS = {
    **{f'SYSU-MM01 {mode}-search {shot}-shot': 'SYSUMM01Dataset'
       for mode in ('all', 'indoor') for shot in ('single', 'multi')},
    **{f'RegDB {direction}': 'RegDBDataset'
       for direction in ('visible-to-thermal', 'thermal-to-visible')},
    **{f'LLCM {direction}': 'LLCMDataset'
       for direction in ('visible-to-thermal', 'thermal-to-visible')},
}
METRICS = ('R1', 'R5', 'R10', 'R20', 'mAP', 'mINP')
MODELS = load_models()


def read_yaml(rel_path):
    with open(osp.join(REPO, rel_path)) as f:
        return yaml.safe_load(f)


def test_model_index_imports_every_metafile_once():
    on_disk = sorted(osp.relpath(p, REPO) for p in glob(osp.join(REPO, 'configs/*/metafile.yml')))
    imported = metafile_paths()
    assert len(imported) == len(set(imported)), f'duplicate imports: {imported}'
    assert sorted(imported) == on_disk


def test_model_names_are_unique_and_name_their_config():
    names = [model['Name'] for model in MODELS]
    assert len(names) == len(set(names)), 'a model name appears twice'
    for model in MODELS:
        assert osp.basename(model['Config']) == model['Name'] + '.py', model['Name']


@pytest.mark.parametrize('metafile', metafile_paths())
def test_collections_name_their_paper_and_readme(metafile):
    collections = read_yaml(metafile)['Collections']
    assert collections, f'{metafile} has no Collections'
    for collection in collections:
        assert collection['Paper']['Title'], collection['Name']
        assert osp.isfile(osp.join(REPO, collection['README'])), collection['README']
    names = {collection['Name'] for collection in collections}
    for model in read_yaml(metafile)['Models']:
        assert model['In Collection'] in names, model['Name']


@pytest.mark.parametrize('model', MODELS, ids=[model['Name'] for model in MODELS])
def test_model_entry(model):
    name = model['Name']
    config_path = osp.join(REPO, model['Config'])
    assert osp.isfile(config_path), f'{name}: config {model["Config"]} does not exist'
    cfg = Config.fromfile(config_path)

    metadata = model['Metadata']
    assert metadata['Epochs'] == cfg.train_cfg.max_epochs, name
    assert metadata['Batch Size'] == cfg.train_dataloader.batch_size, name
    assert metadata['Results Source'] in RESULTS_SOURCES, name
    assert isinstance(metadata['Results Reference'], str) and metadata['Results Reference']
    assert 'Weights' in model, f'{name}: Weights must be given (null when there is none)'

    results = model['Results']
    if metadata['Results Source'] == 'none':
        assert results is None, f'{name}: results without a source'
        return
    assert results, f'{name}: Results Source {metadata["Results Source"]} but no results'
    for result in results:
        assert result['Task'] == TASK, name
        protocol = result['Protocol']
        assert set(protocol) == set(PROTOCOL), f'{name}: Protocol fields {sorted(protocol)}'
        # a checkpoint's hash is recorded exactly when this project distributes the checkpoint
        assert (protocol['Checkpoint SHA-256'] is None) == (model['Weights'] is None), name
        assert result['Dataset'] in EVALUATIONS, f'{name}: unknown evaluation {result["Dataset"]}'
        assert cfg.test_dataloader.dataset.type == EVALUATIONS[result['Dataset']], name
        assert result['Metrics'] and set(result['Metrics']) <= set(METRICS), name
        for metric, value in result['Metrics'].items():
            assert 0 <= value <= 100, f'{name}: {metric} = {value}'


def test_readme_model_table_matches_the_metafiles():
    assert readme_diff() is None, \
        'README.md model table is stale: run python tools/misc/update_model_table.py'


def test_table_has_one_row_per_model_with_its_numbers():
    rows = render_table(MODELS).splitlines()[2:]
    assert len(rows) == len(MODELS)
    hctri = next(row for row, model in zip(rows, MODELS)
                 if model['Name'] == 'hctri_r50_1xb96-60e_sysu-mm01-288x144')
    cells = [cell.strip() for cell in hctri.strip('|').split('|')]
    # Method | Config | Evaluation | R1 | R10 | R20 | mAP | mINP | Protocol | Results | Weights
    assert cells[0] == 'HcTri'
    assert cells[3] == '61.68<br>63.41' and cells[6] == '57.51<br>68.17'
    assert cells[8].count('Gallery Draw: seeded (reference code)') == 2
    assert 'Checkpoint SHA-256: —' in cells[8]
    assert cells[9].startswith('paper: ')


def copy_index(tmp_path):
    """model-index.yml, the metafiles and README.md in a scratch repository root."""
    for rel_path in ['model-index.yml', 'README.md', *metafile_paths()]:
        (tmp_path / rel_path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(osp.join(REPO, rel_path), tmp_path / rel_path)
    return tmp_path


def test_check_mode_fails_on_a_stale_table_and_the_tool_repairs_it(tmp_path):
    root = copy_index(tmp_path)
    metafile = root / metafile_paths()[0]
    text = metafile.read_text()
    first_r1 = next(line for line in text.splitlines() if line.strip().startswith('R1:'))
    metafile.write_text(text.replace(first_r1, first_r1.split(':')[0] + ': 12.34', 1))

    stale = run_tool(TOOL, '--check', '--repo', str(root), check=False)
    assert stale.returncode == 1 and 'differs from the metafiles' in stale.stderr
    run_tool(TOOL, '--repo', str(root))
    assert '| 12.34' in (root / 'README.md').read_text()
    assert run_tool(TOOL, '--check', '--repo', str(root), check=False).returncode == 0


def test_missing_markers_and_fields_are_one_line_errors(tmp_path):
    root = copy_index(tmp_path)
    readme = root / 'README.md'
    readme.write_text(readme.read_text().replace(END, ''))
    proc = run_tool(TOOL, '--check', '--repo', str(root), check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert 'README.md' in proc.stderr and END in proc.stderr

    with pytest.raises(ModelIndexError, match='needs exactly one'):
        replace_table(f'{START}\n{START}\n{END}', 'table')
    model = dict(copy.deepcopy(MODELS[0]), Metafile='configs/x/metafile.yml')
    del model['Metadata']['Results Source']
    with pytest.raises(ModelIndexError, match=r"configs/x/metafile.yml: model '.*' has no "
                                              r'Metadata.Results Source'):
        render_table([model])
    model = dict(copy.deepcopy(MODELS[0]), Metafile='configs/x/metafile.yml')
    del model['Results'][0]['Protocol']['Gallery Draw']
    with pytest.raises(ModelIndexError, match=r"result 0: Protocol has no 'Gallery Draw'"):
        render_table([model])
