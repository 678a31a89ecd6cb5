# AGW on LLCM with the AGW code's recipe (8 ids x 4 images per modality, 288x144); the AGW
# code itself has no LLCM reader (LLCM postdates it).
_base_ = [
    '../_base_/models/agw_r50.py', '../_base_/datasets/llcm_288x144.py',
    '../_base_/schedules/sgd_warmup-agw.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=713))
train_dataloader = dict(batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4))
