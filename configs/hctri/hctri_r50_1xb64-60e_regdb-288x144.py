# HcTri baseline on RegDB (SPEC: 8 ids x 4 images per modality, GeM p=10, label smoothing 0.1,
# w_center=2). Trial 1; other trials: --cfg-options with the data set's `trial`.
_base_ = [
    '../_base_/models/hctri_r50.py', '../_base_/datasets/regdb_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(
    neck=dict(gem_p=10.0),
    head=dict(
        num_classes=206,
        id_loss=dict(type='CrossEntropyLabelSmoothLoss', epsilon=0.1),
        strip_triplet_weight=2.0))

train_dataloader = dict(batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4))

optim_wrapper = dict(
    optimizer=dict(nesterov=True), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
train_cfg = dict(max_epochs=60)
