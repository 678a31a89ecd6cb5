from .inference import extract_features, init_reid_model

__all__ = ['init_reid_model', 'extract_features']
