default_scope = 'vireid_toolbox'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keeps the latest checkpoints and the best one by the first metric key (e.g. sysu/all-single/R1)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3, save_best='auto', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # augmentation randomness as a function of (seed, epoch): resumed runs repeat uninterrupted ones
    epoch_seed=dict(type='EpochSeedHook'),
    # mmengine's DDP wrapper does not broadcast buffers: average BatchNorm statistics over the
    # ranks every epoch, so the checkpoint and every rank's validation use the same model
    sync_buffers=dict(type='SyncBuffersHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# local files always; TensorBoard event files too when tensorboard is installed
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardIfInstalledVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
