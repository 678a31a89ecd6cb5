"""tools/run_demo.py's --methods: every model-zoo collection with a synthetic-set config."""
import os.path as osp

import yaml

from conftest import REPO, load_tool_module, run_tool

RUN_DEMO = osp.join(REPO, 'tools/run_demo.py')


def test_methods_are_the_collections_with_a_synthetic_config():
    run_demo = load_tool_module('tools/run_demo.py')
    with open(osp.join(REPO, 'model-index.yml')) as f:
        metafiles = yaml.safe_load(f)['Import']
    collections = set()
    for metafile in metafiles:
        with open(osp.join(REPO, metafile)) as f:
            collections |= {c['Name'] for c in yaml.safe_load(f)['Collections']}
    assert set(run_demo.METHODS) == collections  # every method of the zoo can run in the demo
    assert run_demo.METHODS['DEEN'] == \
        'configs/deen/deen_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
    assert run_demo.METHODS['PDFENet'] == \
        'configs/pdfenet/pdfenet_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py'
    assert set(run_demo.DEFAULT_METHODS) == {'PDFENet', 'HcTri'}  # `make demo` keeps its budget
    for config in run_demo.METHODS.values():
        assert osp.isfile(osp.join(REPO, config)), config


def test_unknown_method_is_refused_in_one_line():
    proc = run_tool(RUN_DEMO, '--methods', 'NoSuchNet', check=False, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice: 'NoSuchNet'" in proc.stderr
