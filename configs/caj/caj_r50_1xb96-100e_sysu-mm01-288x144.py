# CAJ on SYSU-MM01 with the code's recipe (ICCV21_CAJ/train_ext.py --method adp --augc 1
# --rande 0.5 --alpha 1 --square 1 --gamma 1): the AGW model trained with ID + the enhanced
# squared-difference triplet on batches of 8 ids x 4 visible images, their 4 channel-exchanged
# views and 4 infrared images (96 images); 100 epochs; tested with flipping (the code's testa.py).
_base_ = [
    '../_base_/models/caj_r50.py', '../_base_/datasets/sysu_mm01_288x144.py',
    '../_base_/schedules/sgd_warmup-agw.py', '../_base_/default_runtime.py'
]

# geometric augmentation as AGW, then CAJ's channel-level random erasing on every image;
# infrared images are also greyed or channel-exchanged (the code's ChannelAdapGray(0.5))
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
# the second view of every visible image: one colour channel copied to all three
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
        dataset=dict(type={{_base_.dataset_type}}, data_root={{_base_.data_root}}, split='train',
                     pipeline=train_pipeline),
        view_pipeline=visible_view_pipeline))

train_cfg = dict(max_epochs=100)
