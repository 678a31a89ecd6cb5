from .vireid_model import NonFiniteLossError, VIReIDModel

__all__ = ['VIReIDModel', 'NonFiniteLossError']
