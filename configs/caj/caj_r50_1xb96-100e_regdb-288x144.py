# CAJ on RegDB with the code's recipe (ICCV21_CAJ/main.sh: --method adp --augc 1 --rande 0.5
# --alpha 1 --square 1 --gamma 1), as on SYSU-MM01: 8 ids x (4 visible + their 4
# channel-exchanged views + 4 thermal images), 100 epochs, flip test.
# Trial 1; other trials: --cfg-options with the data set's `trial`.
_base_ = [
    '../_base_/models/caj_r50.py', '../_base_/datasets/regdb_288x144.py',
    '../_base_/schedules/sgd_warmup-agw.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=206))

caj_geometric = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale={{_base_.image_scale}}),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='ChannelRandomErasing', prob=0.5),
]
train_pipeline = caj_geometric + [
    dict(type='ApplyToModality', modality=1,
         transforms=[dict(type='ChannelExchange', gray=3, gray_prob=0.5)]),
    dict(type='PackReIDInputs'),
]
visible_view_pipeline = caj_geometric + [
    dict(type='ChannelExchange', gray=2),
    dict(type='PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=96,
    sampler=dict(batch_size=96, num_ids=8, num_instances=4, visible_views=2),
    dataset=dict(
        _delete_=True,
        type='VisibleViewsDataset',
        dataset=dict(type={{_base_.dataset_type}}, data_root={{_base_.data_root}},
                     trial={{_base_.trial}}, split='train', pipeline=train_pipeline),
        view_pipeline=visible_view_pipeline))

train_cfg = dict(max_epochs=100)
