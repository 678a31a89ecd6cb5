# AGW on RegDB with the code's recipe (8 ids x 4 images per modality, as on SYSU-MM01).
# Trial 1; other trials: --cfg-options with the data set's `trial`.
_base_ = [
    '../_base_/models/agw_r50.py', '../_base_/datasets/regdb_288x144.py',
    '../_base_/schedules/sgd_warmup-agw.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=206))
