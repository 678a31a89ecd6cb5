default_scope = 'vireid_toolbox'

# Validation during training (vireid_toolbox/utils/validation_switches.py; the tools apply it):
# off by default, so no number is selected on the test split.
# model_selection=True: validate every train_cfg.val_interval epochs on identities held out of the
#   training set (SYSU-MM01's official val ids; a seeded val_fraction of the training ids for
#   RegDB/LLCM), keys val/..., and keep the best checkpoint by the first of them.
# monitor_test_split=True: evaluate the test split during training under keys
#   test-split-monitor-not-a-result/...; keeps no best checkpoint. Never report these numbers.
model_selection = False
monitor_test_split = False

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keeps the latest checkpoints and no "best" one: the papers train a fixed schedule and the
    # documented number is the last epoch's (model_selection=True adds a best-by-val/... checkpoint);
    # writes each file atomically (a run killed while saving leaves no truncated checkpoint)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    backend_args=dict(backend='atomic_local')),
    # the sampler's draws and their augmentations follow (seed, epoch): resume repeats the run
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # model-side randomness (e.g. dropout) as a function of (seed, epoch, rank), likewise
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
# train_dataloader.batch_size (and the sampler's num_ids) is per process: `dist_train.sh CONFIG 2`
# of a 1xb96 config steps on 2 x 96 images. True makes it the batch of the whole job, divided over
# the processes by tools/train.py (an error when it does not divide); the exact 1-process
# counterpart of N processes is optim_wrapper.accumulative_counts=N. See
# docs/en/advanced_guides/distributed.md.
batch_size_is_global = False
# 'torch': BatchNorm statistics over the batches of all processes (torch.nn.SyncBatchNorm, CUDA
# only; mmengine's Runner converts the layers). None: each process normalises its own batch.
sync_bn = None
