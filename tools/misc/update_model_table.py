"""Generate README.md's model table from the metafiles that model-index.yml imports.

``python tools/misc/update_model_table.py`` rewrites the Markdown table between the
``<!-- model-table:start -->`` and ``<!-- model-table:end -->`` markers of README.md;
``--check`` only compares and exits 1 when README.md is out of date.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
START = '<!-- model-table:start -->'
END = '<!-- model-table:end -->'
METRICS = ('R1', 'R10', 'R20', 'mAP', 'mINP')
PROTOCOL = ('Dataset Version', 'Split', 'Direction', 'Gallery Draw', 'Trials', 'Re-ranking',
            'Flip TTA', 'Checkpoint', 'Checkpoint SHA-256')
"""What every result's ``Protocol`` says about how its numbers were made (``null`` when none)."""
HEADER = ('| Method | Config | Evaluation | ' + ' | '.join(METRICS) +
          ' | Protocol | Results | Weights |')


class ModelIndexError(Exception):
    """A model-index.yml, metafile or README.md the table cannot be built from."""


def read_yaml(path: str) -> dict:
    if not osp.isfile(path):
        raise ModelIndexError(f'{path} does not exist')
    with open(path) as f:
        data = yaml.safe_load(f)
    if not isinstance(data, dict):
        raise ModelIndexError(f'{path}: expected a mapping at the top level')
    return data


def metafile_paths(repo: str = REPO) -> List[str]:
    """The metafiles model-index.yml imports, relative to the repository, in order."""
    index_path = osp.join(repo, 'model-index.yml')
    imports = read_yaml(index_path).get('Import')
    if not isinstance(imports, list) or not imports:
        raise ModelIndexError(f'{index_path}: "Import" must list the metafiles')
    return imports


def load_models(repo: str = REPO) -> List[dict]:
    """Every model entry of every imported metafile, with ``Metafile`` (its path) added."""
    models = []
    for rel_path in metafile_paths(repo):
        metafile = read_yaml(osp.join(repo, rel_path))
        for model in metafile.get('Models') or []:
            models.append(dict(model, Metafile=rel_path))
    return models


def field(model: dict, *keys: str):
    """``model[keys[0]][keys[1]]...``; a missing key is an error naming the model and metafile."""
    value = model
    for depth, key in enumerate(keys):
        if not isinstance(value, dict) or key not in value:
            raise ModelIndexError(f'{model.get("Metafile")}: model {model.get("Name")!r} has no '
                                  f'{".".join(keys[:depth + 1])}')
        value = value[key]
    return value


def format_metric(value) -> str:
    return '—' if value is None else f'{float(value):.2f}'


def protocol_cell(model: dict, index: int) -> str:
    """One result's protocol: ``field: value`` pairs (every field required)."""
    protocol = field(model, 'Results')[index].get('Protocol')
    missing = [name for name in PROTOCOL if not isinstance(protocol, dict) or name not in protocol]
    if missing:
        raise ModelIndexError(f'{model.get("Metafile")}: model {model.get("Name")!r}, result '
                              f'{index}: Protocol has no {missing[0]!r} (needs {", ".join(PROTOCOL)})')
    return ', '.join(f'{name}: {"—" if protocol[name] is None else protocol[name]}'
                     for name in PROTOCOL)


def table_row(model: dict) -> str:
    """One row per model; several evaluations of a model stack in their cells."""
    results = field(model, 'Results') or []
    config = field(model, 'Config')
    source = field(model, 'Metadata', 'Results Source')
    reference = field(model, 'Metadata', 'Results Reference')
    cells = [
        field(model, 'In Collection'),
        f'[{field(model, "Name")}]({config})',
        '<br>'.join(result['Dataset'] for result in results) or '—',
    ]
    for metric in METRICS:
        cells.append('<br>'.join(format_metric(result['Metrics'].get(metric))
                                 for result in results) or '—')
    cells.append('<br>'.join(protocol_cell(model, i) for i in range(len(results))) or '—')
    cells.append(f'{source}: {reference}')
    weights = model.get('Weights')
    cells.append(f'[checkpoint]({weights})' if weights else '—')
    return '| ' + ' | '.join(cells) + ' |'


def render_table(models: List[dict]) -> str:
    """The Markdown table (header, separator, one row per model)."""
    separator = '|' + '|'.join(' --- ' for _ in HEADER.strip('|').split('|')) + '|'
    return '\n'.join([HEADER, separator] + [table_row(model) for model in models])


def replace_table(readme: str, table: str, readme_path: str = 'README.md') -> str:
    """``readme`` with the text between the markers replaced by ``table``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < 0 or end < start or readme.count(START) != 1 or readme.count(END) != 1:
        raise ModelIndexError(f'{readme_path}: needs exactly one {START} followed by one {END}')
    return readme[:start + len(START)] + '\n' + table + '\n' + readme[end:]


def readme_diff(repo: str = REPO) -> Optional[str]:
    """None when README.md's table matches the metafiles, else the expected README text."""
    readme_path = osp.join(repo, 'README.md')
    if not osp.isfile(readme_path):
        raise ModelIndexError(f'{readme_path} does not exist')
    with open(readme_path) as f:
        readme = f.read()
    expected = replace_table(readme, render_table(load_models(repo)), readme_path)
    return None if expected == readme else expected


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true',
                        help='do not write; exit 1 when README.md is out of date')
    parser.add_argument('--repo', default=REPO, help='repository root (default: this one)')
    args = parser.parse_args(argv)
    try:
        expected = readme_diff(args.repo)
    except ModelIndexError as error:
        print(f'update_model_table.py: error: {error}', file=sys.stderr)
        return 2
    if expected is None:
        print('README.md model table is up to date')
        return 0
    if args.check:
        print('README.md model table differs from the metafiles; run '
              'python tools/misc/update_model_table.py', file=sys.stderr)
        return 1
    with open(osp.join(args.repo, 'README.md'), 'w') as f:
        f.write(expected)
    print('README.md model table updated')
    return 0


if __name__ == '__main__':
    sys.exit(main())
