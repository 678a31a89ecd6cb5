# The synthetic configs' CPU schedule for backbones trained from scratch: Adam at 1e-3 (the papers'
# rates are for ImageNet-initialised backbones; from scratch their SGD collapsed the hetero-center
# triplet features) after a one-epoch linear warm-up, 10 epochs (val_interval 5 for the validation
# switches of default_runtime.py).
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=5e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=5)
test_cfg = dict(type='TestLoop')
