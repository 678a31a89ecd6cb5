from .batch_hard_triplet_loss import BatchHardTripletLoss
from .center_guided_pair_mining_loss import CenterGuidedPairMiningLoss
from .center_loss import CenterLoss
from .cmce_loss import CMCELoss
from .cross_entropy_label_smooth_loss import CrossEntropyLabelSmoothLoss
from .hetero_center_triplet_loss import HeteroCenterTripletLoss
from .multi_granularity_joint_loss import MultiGranularityJointLoss
from .squared_difference_triplet_loss import SquaredDifferenceTripletLoss
from .weighted_regularization_triplet import WeightedRegularizationTriplet

__all__ = [
    'BatchHardTripletLoss', 'CrossEntropyLabelSmoothLoss', 'HeteroCenterTripletLoss',
    'MultiGranularityJointLoss', 'CenterLoss', 'CMCELoss', 'SquaredDifferenceTripletLoss',
    'WeightedRegularizationTriplet', 'CenterGuidedPairMiningLoss'
]
