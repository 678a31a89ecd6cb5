"""vireid_toolbox: visible-infrared person re-identification in the OpenMMLab style."""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']
