# AGW on SYSU-MM01 with the code's recipe: 8 ids x 4 images per modality, no label smoothing,
# SGD lr 0.1 (backbone 0.1x), Nesterov, epochs 0..80.
_base_ = [
    '../_base_/models/agw_r50.py', '../_base_/datasets/sysu_mm01_288x144.py',
    '../_base_/schedules/sgd_warmup-agw.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4))
