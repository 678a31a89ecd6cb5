# ADMPFF-Net on LLCM with its SYSU-MM01 recipe (Table 3: rho=0.3, alpha=beta=1, dim 512; HcTri's
# batch of 6 ids x 8 images per modality; the literal SGD schedule of eq. 11, 80 epochs).
# NOT A PAPER RECIPE: the paper does not evaluate on LLCM; there are no reference numbers.
_base_ = [
    '../_base_/models/admpff-net_r50.py', '../_base_/datasets/llcm_288x144.py',
    '../_base_/schedules/sgd_warmup-80e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=713))  # LLCM's 713 training identities

train_dataloader = dict(batch_size=96, sampler=dict(batch_size=96, num_ids=6, num_instances=8))
