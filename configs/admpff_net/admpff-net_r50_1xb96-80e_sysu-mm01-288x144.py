# ADMPFF-Net on SYSU-MM01 (Table 3: rho=0.3, alpha=beta=1, dim 512). The paper gives no batch
# size; SPEC uses its baseline's: 6 ids x 8 images per modality.
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/sysu_mm01_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

train_dataloader = dict(batch_size=96, sampler=dict(batch_size=96, num_ids=6, num_instances=8))
