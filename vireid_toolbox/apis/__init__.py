from .inference import extract_features, init_reid_model
from .test_set import LabelledFeatures, checkpoint_features_of_test_set, extract_test_set_features

__all__ = [
    'init_reid_model', 'extract_features', 'LabelledFeatures', 'extract_test_set_features',
    'checkpoint_features_of_test_set'
]
