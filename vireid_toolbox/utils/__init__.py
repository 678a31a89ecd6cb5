from .checkpoint import allow_mmengine_checkpoint_types
from .config_check import ConfigKeyError, check_config
from .dist import cpu_ddp_wrapper_cfg, destroy_distributed, init_cpu_distributed
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'allow_mmengine_checkpoint_types', 'check_config', 'ConfigKeyError',
    'init_cpu_distributed', 'cpu_ddp_wrapper_cfg', 'destroy_distributed'
]
