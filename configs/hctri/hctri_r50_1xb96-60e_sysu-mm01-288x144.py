# HcTri baseline on SYSU-MM01 (SPEC: 6 ids x 8 images per modality, GeM p=3, no label
# smoothing, w_center=1; SGD lr 0.1 with the backbone at 0.1x, nesterov, 60 epochs).
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/sysu_mm01_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=96, sampler=dict(batch_size=96, num_ids=6, num_instances=8))

# the reference code trains the pretrained layers at 0.1x the lr of the new stripe layers
optim_wrapper = dict(
    optimizer=dict(nesterov=True), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
train_cfg = dict(max_epochs=60)
