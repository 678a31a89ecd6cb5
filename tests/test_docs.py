"""The documentation: config paths and relative links resolve, and the worked example runs."""
import os
import os.path as osp
import re
import subprocess
import sys
from glob import glob

import pytest

from conftest import REPO, tool_env

DOCS = sorted(glob(osp.join(REPO, 'docs', '**', '*.md'), recursive=True))
PAGES = DOCS + [osp.join(REPO, 'README.md')]
CONFIG_PATH = re.compile(r'(?<![\w./-])((?:\.\./)*configs/[\w./-]+?\.py)\b')
MARKDOWN_LINK = re.compile(r'\]\(([^)\s]+)\)')
EXAMPLE = osp.join(REPO, 'docs/en/advanced_guides/add_new_module.md')
EXAMPLE_FILE = re.compile(r'<!-- file: (\S+) -->\n```python\n(.*?)```', re.S)
INDEXED = ('get_started.md', 'user_guides/reproduce_tables.md', 'user_guides/data_preparation.md',
           'advanced_guides/add_new_module.md', 'advanced_guides/deviations.md', 'changelog.md')


def page_id(path):
    return osp.relpath(path, REPO)


def read(path):
    with open(path) as f:
        return f.read()


def test_pages_exist():
    for page in INDEXED + ('index.md', ):
        assert osp.join(REPO, 'docs/en', page) in DOCS, page


@pytest.mark.parametrize('page', PAGES, ids=page_id)
def test_every_cited_config_exists(page):
    """``configs/...`` from the repository root; ``../configs/...`` from the page's folder or,
    in the worked example, from the folder its project config is written to."""
    if page == EXAMPLE:
        relative_roots = [osp.join(REPO, 'projects', 'max_avg_neck', 'configs')]
    else:
        relative_roots = [osp.dirname(page)]
    missing = []
    for path in CONFIG_PATH.findall(read(page)):
        roots = relative_roots if path.startswith('../') else [REPO]
        if not any(osp.isfile(osp.normpath(osp.join(root, path))) for root in roots):
            missing.append(path)
    assert not missing, f'{page_id(page)} cites configs that do not exist: {missing}'


@pytest.mark.parametrize('page', PAGES, ids=page_id)
def test_relative_links_resolve(page):
    broken = []
    for target in MARKDOWN_LINK.findall(read(page)):
        if re.match(r'[a-z]+:', target) or target.startswith('#'):
            continue  # a URL or an anchor on the same page
        path = osp.normpath(osp.join(osp.dirname(page), target.split('#')[0]))
        if not osp.exists(path):
            broken.append(target)
    assert not broken, f'{page_id(page)} links to missing files: {broken}'


def test_index_links_every_page():
    links = set(MARKDOWN_LINK.findall(read(osp.join(REPO, 'docs/en/index.md'))))
    assert set(INDEXED) <= links, set(INDEXED) - links


def test_worked_example_runs(tmp_path):
    """Write the example's files where the page says and run the example's own test."""
    files = EXAMPLE_FILE.findall(read(EXAMPLE))
    assert [path for path, _ in files] == [
        'projects/max_avg_neck/max_avg_strip_neck.py',
        'projects/max_avg_neck/configs/hctri-maxavg_r18_1xb16-2e_synthetic-sysu-mm01-192x96.py',
        'projects/max_avg_neck/tests/test_max_avg_strip_neck.py',
    ]
    for path, code in files:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(code)
    os.symlink(osp.join(REPO, 'configs'), tmp_path / 'configs')  # the config's _base_
    env = tool_env()
    env['PYTHONPATH'] = os.pathsep.join([str(tmp_path), env['PYTHONPATH']])
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q',
         'projects/max_avg_neck/tests'], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert '3 passed' in proc.stdout
