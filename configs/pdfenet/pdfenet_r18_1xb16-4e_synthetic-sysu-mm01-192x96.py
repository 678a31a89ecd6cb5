# PDFENet on the generated SYSU-layout set (tools/misc/make_synthetic_dataset.py --out
# data/synthetic_sysu_mm01): a CPU run of a few minutes with a ResNet-18 trained from scratch and
# the set's ground-truth joints as the pose cache (real pose input, no download).
# 192x96 inputs give 12x6 maps: ADMG's thirds are 4 rows each.
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/synthetic_sysu_mm01_192x96.py',
    '../_base_/schedules/adam-240e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(in_channels=512, num_classes=24))  # the default set's 16 train + 8 val ids

train_cfg = dict(max_epochs=4, val_interval=2)
default_hooks = dict(logger=dict(interval=5))
