"""Visualisation back ends."""
from importlib.util import find_spec

from mmengine.visualization import TensorboardVisBackend

from vireid_toolbox.registry import VISBACKENDS


@VISBACKENDS.register_module()
class TensorboardIfInstalledVisBackend(TensorboardVisBackend):
    """TensorBoard event files when ``tensorboard`` is installed, nothing otherwise.

    Lets the default runtime ask for TensorBoard without making it a
    dependency: without the package every call is a no-op.

    Args:
        save_dir (str): Directory of the event files (set by the Runner).
    """

    def __init__(self, save_dir: str):
        super().__init__(save_dir)
        self.installed = find_spec('tensorboard') is not None

    def _init_env(self):
        if self.installed:
            super()._init_env()

    def add_config(self, config, **kwargs):
        if self.installed:
            super().add_config(config, **kwargs)

    def add_image(self, name, image, step=0, **kwargs):
        if self.installed:
            super().add_image(name, image, step, **kwargs)

    def add_scalar(self, name, value, step=0, **kwargs):
        if self.installed:
            super().add_scalar(name, value, step, **kwargs)

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        if self.installed:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)

    def close(self):
        if self.installed:
            super().close()
