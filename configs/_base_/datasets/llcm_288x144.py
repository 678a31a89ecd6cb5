# LLCM as the DEEN code reads it (idx/train_vis|nir.txt, idx/test_id.txt, test_vis|nir/camN), at
# 288x144 (HcTri / ADMPFF-Net input size) with the SYSU-MM01 288x144 augmentation: zero-pad 10 +
# random crop, horizontal flip. The DEEN protocol: both search directions, 10 seeded gallery draws.
dataset_type = 'LLCMDataset'
data_root = 'data/llcm'
image_scale = (144, 288)  # (width, height)

train_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='ReIDPadCrop', padding=10),
    dict(type='ReIDRandomFlip', prob=0.5),
    dict(type='PackReIDInputs'),
]
test_pipeline = [
    dict(type='LoadReIDImage'),
    dict(type='ReIDResize', scale=image_scale),
    dict(type='PackReIDInputs'),
]

# P ids x K images per modality: HcTri's SYSU-MM01 6 x 8; method configs set their own
train_dataloader = dict(
    batch_size=96,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='CrossModalityIdentitySampler', batch_size=96, num_ids=6, num_instances=8),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
# the test split holds every test image; the metric draws query and gallery per trial
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='vireid_toolbox.reid_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', test_mode=True,
        pipeline=test_pipeline))

test_evaluator = dict(type='LLCMMetric', data_root=data_root)
