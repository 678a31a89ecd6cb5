# ADMPFF-Net on SYSU-MM01 with the optimizer of its base code (HcTri): the pretrained backbone
# (specific, shared and duplicated stages) at 0.1x the lr and Nesterov momentum; everything else
# is the main recipe. The paper prints plain SGD at lr 0.1 for every parameter (the main config
# keeps that literal reading); the paper says it builds on HcTri, whose code trains this way, so
# this variant is the likelier route to the paper's numbers. No numbers are reported for it.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

optim_wrapper = dict(
    optimizer=dict(nesterov=True), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
