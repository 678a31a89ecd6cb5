"""Rules of the suite itself: no test can hang CI, and no skip hides a check in CI."""
import ast
import configparser
import os
import os.path as osp
import subprocess
import sys
from glob import glob

import pytest

from conftest import REPO

PLANTED_SKIP = 'VIREID_PLANTED_SKIP'


def subprocess_calls_without_timeout(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    return [f'{osp.relpath(path, REPO)}:{node.lineno}' for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == 'subprocess'
            and node.func.attr in ('run', 'call', 'check_call', 'check_output', 'Popen')
            and not any(keyword.arg == 'timeout' for keyword in node.keywords)]


def test_every_subprocess_of_the_tests_has_a_timeout(tmp_path):
    offenders = [call for path in glob(osp.join(REPO, 'tests', '**', '*.py'), recursive=True)
                 for call in subprocess_calls_without_timeout(path)]
    assert offenders == []
    planted = tmp_path / 'test_planted.py'
    planted.write_text('import subprocess\n\nsubprocess.run(["true"], check=True)\n')
    assert subprocess_calls_without_timeout(str(planted)) == [f'{osp.relpath(planted, REPO)}:3']


def test_every_test_has_a_time_limit():
    parser = configparser.ConfigParser()
    parser.read(osp.join(REPO, 'pytest.ini'))
    assert int(parser['pytest']['timeout']) >= 600  # well above the slowest test (about 2 min)
    import pytest_timeout  # noqa: F401  (the plugin that reads it is installed)


def test_planted_skip():
    """Skips itself when the test below asks it to; passes otherwise."""
    if os.environ.get(PLANTED_SKIP):
        pytest.skip('planted skip')


@pytest.mark.cuda
def test_planted_cuda_skip():
    """Skipped without CUDA; with CUDA it skips itself when the test below asks it to."""
    if os.environ.get(PLANTED_SKIP):
        pytest.skip('planted skip')


def run_planted(ci):
    env = {k: v for k, v in os.environ.items() if k != 'CI'}
    env[PLANTED_SKIP] = '1'
    if ci:
        env['CI'] = 'true'
    here = osp.relpath(__file__, REPO)
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-rs', '-q',
         f'{here}::test_planted_skip', f'{here}::test_planted_cuda_skip'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout


def test_under_ci_a_skip_fails_unless_the_test_needs_a_gpu():
    code, out = run_planted(ci=True)
    assert code == 1, out
    assert '1 failed, 1 skipped' in out, out
    assert 'skipped under CI=true, where every check that needs no GPU must run: planted skip' in out
    code, out = run_planted(ci=False)
    assert code == 0 and '2 skipped' in out, out
    assert 'SKIPPED' in out and 'planted skip' in out  # -rs lists each skip with its reason
