from .vireid_model import VIReIDModel

__all__ = ['VIReIDModel']
