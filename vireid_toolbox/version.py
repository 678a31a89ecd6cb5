"""Version of vireid_toolbox (read by setup.py)."""
__version__ = '0.1.0'


def _parse_version_info(version_str):
    """Split a version string such as ``'0.1.0'`` into a tuple of ints."""
    return tuple(int(part) for part in version_str.split('.') if part.isdigit())


version_info = _parse_version_info(__version__)
