from .cross_modality_sampler import CrossModalityIdentitySampler

__all__ = ['CrossModalityIdentitySampler']
