# CAJ (Ye et al., ICCV 2021), as its code (ICCV21_CAJ, --alpha 1 --square 1 --gamma 1) builds it:
# the AGW network unchanged (agw_r50.py), trained with ID + the enhanced squared-difference
# triplet instead of the weighted regularisation triplet, and tested with flipping (the code's
# testa.py). CAJ's channel augmentation and second visible views are in the method's configs.
_base_ = './agw_r50.py'

model = dict(
    head=dict(triplet_loss=dict(
        _delete_=True, type='SquaredDifferenceTripletLoss', alpha=1.0, gamma=1.0, eps=1e-6)),
    test_cfg=dict(flip=True))
