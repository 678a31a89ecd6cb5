"""The repository is the whole product: no tracked file names a path outside it."""
import os.path as osp
import subprocess
import tempfile

from conftest import REPO

# the reference folder beside the clone, this workplace's root and the clone's own parent folder
# (unless that is a system folder such as /tmp); built from parts so that this file names none
PARENT = osp.dirname(REPO)
OUTSIDE_PATTERNS = tuple(dict.fromkeys(('..' + '/shared', '/work' + '/') + (
    (PARENT + '/', ) if PARENT not in ('/', '/tmp', tempfile.gettempdir()) else ())))


def tracked_text_files():
    listing = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True, check=True,
                             timeout=60).stdout.decode()
    for name in filter(None, listing.split('\0')):
        path = osp.join(REPO, name)
        if not osp.isfile(path):  # deleted in the work tree
            continue
        with open(path, 'rb') as f:
            data = f.read()
        if b'\0' not in data:
            yield name, data.decode('utf-8', errors='replace')


def outside_paths(files):
    """``[(file, line number, pattern)]`` of every line naming a path outside the repository."""
    return [(name, number, pattern) for name, text in files
            for number, line in enumerate(text.splitlines(), 1)
            for pattern in OUTSIDE_PATTERNS if pattern in line]


def test_no_tracked_file_names_a_path_outside_the_repository():
    files = list(tracked_text_files())
    assert len(files) > 100, 'git ls-files listed too few files: is this a checkout?'
    assert outside_paths(files) == []


def test_the_check_sees_an_outside_path():
    planted = [('docs/x.md', 'ok\nsee ' + OUTSIDE_PATTERNS[0] + '/SPEC.md\n'),
               ('tests/y.py', "ROOT = '" + OUTSIDE_PATTERNS[1] + "shared/data'\n"),
               ('README.md', 'https://github.com/open-mmlab/mmengine\n')]
    assert outside_paths(planted) == [('docs/x.md', 2, OUTSIDE_PATTERNS[0]),
                                      ('tests/y.py', 1, OUTSIDE_PATTERNS[1])]
