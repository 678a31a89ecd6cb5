from .backbones import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .pose import *  # noqa: F401,F403
from .reid import *  # noqa: F401,F403
