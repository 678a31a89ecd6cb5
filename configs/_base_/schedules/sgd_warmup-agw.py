# The AGW / CAJ code's recipe: SGD, momentum 0.9, Nesterov, weight decay 5e-4 on every parameter;
# lr(e) = 0.1 (e + 1) / 10 for e < 10, 0.1 until epoch 20, 0.01 until 50, 0.001 after, stepped
# once per epoch; the pretrained backbone (with its non-local blocks) at 0.1x, the BNNeck and
# classifier at 1x. AGW runs epochs 0..80 (81 epochs); CAJ's config sets max_epochs=100.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))

param_scheduler = [
    # factor 0.1, 0.2, ..., 1.0 in epochs 0..9 = (e + 1) / 10
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, by_epoch=True, begin=0, end=10),
    dict(type='MultiStepLR', milestones=[20, 50], gamma=0.1, by_epoch=True, begin=0),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=81, val_interval=10)
test_cfg = dict(type='TestLoop')
