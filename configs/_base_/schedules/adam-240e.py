# PDFENet recipe (§4.2): Adam, lr 2e-4, weight decay 5e-4, x0.1 at epochs 80 and 120, 240 epochs.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4, weight_decay=5e-4))

param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=240, milestones=[80, 120], gamma=0.1),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=240, val_interval=10)
test_cfg = dict(type='TestLoop')
