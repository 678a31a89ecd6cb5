# DEEN on RegDB (trial 1) with the code's recipe (ZYK100/LLCM, DEEN/train.py --dataset regdb):
# the code's RegDB model drops MFA3 and layer4 (DEE before layer3, 1024-d embeddings); 206 ids.
# The code's augmentation and batch: ../_base_/datasets/regdb_384x144.py.
_base_ = [
    '../_base_/models/deen_r50.py', '../_base_/datasets/regdb_384x144.py',
    '../_base_/schedules/sgd_warmup-151e.py', '../_base_/default_runtime.py'
]

model = dict(backbone=dict(last_stage=3), head=dict(in_channels=1024, num_classes=206))
# the code trains everything but the BNNeck and the classifier at 0.1x the lr
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
