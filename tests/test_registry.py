"""Every registered class is found by name without importing its module first."""
import json
import subprocess
import sys

LIST_NAMES = """
import json
from mmengine.registry import Registry
from vireid_toolbox import registry
from vireid_toolbox.utils import register_all_modules
register_all_modules()
names = {attr: sorted(getattr(registry, attr).module_dict) for attr in dir(registry)
         if isinstance(getattr(registry, attr), Registry)
         and getattr(registry, attr).scope == 'vireid_toolbox'}
print(json.dumps(names))
"""

LOOK_UP_FRESH = """
import json, sys
from mmengine.registry import DefaultScope
from vireid_toolbox import registry
DefaultScope.get_instance('fresh', scope_name='vireid_toolbox')
names = json.loads(sys.stdin.read())
missing = [f'{attr}:{name}' for attr, entries in names.items() for name in entries
           if getattr(registry, attr).get(name) is None]
print(json.dumps(missing))
"""


def _python(code, stdin=None):
    proc = subprocess.run([sys.executable, '-c', code], input=stdin, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_registered_name_resolves_in_a_fresh_process():
    names = _python(LIST_NAMES)
    assert sum(len(v) for v in names.values()) > 5, names
    assert _python(LOOK_UP_FRESH, stdin=json.dumps(names)) == []


def test_registries_are_children_of_mmengine_roots():
    import mmengine.registry as mm_registry

    from vireid_toolbox import registry
    for attr in dir(registry):
        node = getattr(registry, attr)
        if isinstance(node, mm_registry.Registry) and node.scope == 'vireid_toolbox':
            assert node.parent is getattr(mm_registry, attr), attr
            assert node._locations, f'{attr} has no locations='
