from .atomic_local_backend import AtomicLocalBackend
from .checkpoint import (CheckpointError, allow_mmengine_checkpoint_types, load_state_dict_strictly,
                         read_checkpoint)
from .config_check import ConfigKeyError, check_config
from .dist import cpu_ddp_wrapper_cfg, destroy_distributed, init_cpu_distributed
from .setup_env import register_all_modules
from .validation_switches import configure_validation

__all__ = [
    'register_all_modules', 'allow_mmengine_checkpoint_types', 'CheckpointError', 'read_checkpoint',
    'load_state_dict_strictly', 'check_config', 'ConfigKeyError',
    'init_cpu_distributed', 'cpu_ddp_wrapper_cfg', 'destroy_distributed', 'configure_validation',
    'AtomicLocalBackend'
]
