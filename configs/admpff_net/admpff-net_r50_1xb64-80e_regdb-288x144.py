# ADMPFF-Net on RegDB (Table 3: rho=0.3, alpha=3, beta=6). Batch: HcTri's RegDB batch, 8 ids x
# 4 images per modality (SPEC). Trial 1; other trials: --cfg-options with the data set's `trial`.
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/regdb_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=206, loss=dict(alpha=3.0, beta=6.0)))

train_dataloader = dict(batch_size=64, sampler=dict(batch_size=64, num_ids=8, num_instances=4))
