"""Install vireid_toolbox. The tested stack is installed by `make install` (tools/install.sh)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    """Read ``__version__`` from vireid_toolbox/version.py without importing the package."""
    namespace = {}
    with open(osp.join(HERE, 'vireid_toolbox', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), namespace)
    return namespace['__version__']


def read_requirements(name):
    """Requirement lines of requirements/<name>.txt (comments and blanks dropped)."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    name='vireid_toolbox',
    version=read_version(),
    description='OpenMMLab-style toolbox for visible-infrared person re-identification',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo', 'docs')),
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    extras_require={
        'pose': read_requirements('pose') + read_requirements('pose_deps'),
        'tests': read_requirements('tests'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
