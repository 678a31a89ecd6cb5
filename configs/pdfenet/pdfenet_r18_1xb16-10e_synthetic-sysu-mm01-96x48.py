# PDFENet on the generated SYSU-layout set (tools/misc/make_synthetic_dataset.py --out
# data/synthetic_sysu_mm01): a CPU run of a few minutes with a ResNet-18 trained from scratch and
# the set's ground-truth joints as the pose cache (real pose input, no download); the main job of
# `make demo`. 96x48 inputs give 6x3 maps: ADMG's thirds are 2 rows each. From scratch Adam runs
# at 1e-3 after one warm-up epoch, cosine-decayed to 1e-5 (the recipe's 2e-4 is for an
# ImageNet-initialised backbone).
_base_ = [
    '../_base_/models/pdfenet_r50.py', '../_base_/datasets/synthetic_sysu_mm01_96x48.py',
    '../_base_/schedules/adam_warmup-cosine-10e_from-scratch.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=512),
    head=dict(in_channels=512, num_classes=80))  # the default set's 64 train + 16 val ids

default_hooks = dict(logger=dict(interval=10))
