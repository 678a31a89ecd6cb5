"""Every registered class is found by name without importing its module first."""
import json
import subprocess
import sys

LIST_NAMES = """
import json
from vireid_toolbox import registry
from vireid_toolbox.utils import register_all_modules
register_all_modules()
names = {attr: sorted(getattr(registry, attr).module_dict)
         for attr in dir(registry) if attr.isupper()}
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


def test_every_registered_name_resolves_in_a_fresh_process():
    listed = subprocess.run([sys.executable, '-c', LIST_NAMES], capture_output=True,
                            text=True, check=True)
    names = json.loads(listed.stdout.strip().splitlines()[-1])
    assert sum(len(v) for v in names.values()) > 5, names
    fresh = subprocess.run([sys.executable, '-c', LOOK_UP_FRESH], input=json.dumps(names),
                           capture_output=True, text=True, check=True)
    assert json.loads(fresh.stdout.strip().splitlines()[-1]) == []


def test_registries_are_children_of_mmengine_roots():
    import mmengine.registry as mm_registry

    from vireid_toolbox import registry
    for attr in dir(registry):
        if attr.isupper() and hasattr(mm_registry, attr):
            node = getattr(registry, attr)
            assert node.parent is getattr(mm_registry, attr), attr
            assert node.scope == 'vireid_toolbox'
            assert node._locations, f'{attr} has no locations='
