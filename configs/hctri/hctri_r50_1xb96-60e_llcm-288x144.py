# HcTri on LLCM with its SYSU-MM01 recipe (6 ids x 8 images per modality, GeM p=3, no label
# smoothing, w_center=1; SGD lr 0.1 with the backbone at 0.1x, nesterov, 60 epochs).
# NOT A PAPER RECIPE: no paper reports HcTri on LLCM; there are no reference numbers.
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/llcm_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=713))  # LLCM's 713 training identities

train_dataloader = dict(batch_size=96, sampler=dict(batch_size=96, num_ids=6, num_instances=8))

optim_wrapper = dict(
    optimizer=dict(nesterov=True), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
train_cfg = dict(max_epochs=60)
