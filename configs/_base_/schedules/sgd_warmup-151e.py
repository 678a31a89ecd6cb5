# DEEN's recipe (ZYK100/LLCM, DEEN/train.py): SGD, momentum 0.9, Nesterov, weight decay 5e-4;
# lr(e) = 0.1 (e + 1) / 10 for e < 10, 0.1 until epoch 20, 0.01 until 80, 0.001 after; the code's
# loop runs epochs 0..150 (151 epochs). The schedulers step once per epoch, as the code's lr(e).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))

param_scheduler = [
    # factor 0.1, 0.2, ..., 1.0 in epochs 0..9 = (e + 1) / 10
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, by_epoch=True, begin=0, end=10),
    dict(type='MultiStepLR', milestones=[20, 80], gamma=0.1, by_epoch=True, begin=0, end=151),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=151, val_interval=10)
test_cfg = dict(type='TestLoop')
