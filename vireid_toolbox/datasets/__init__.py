from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .collate import reid_collate
from .llcm import LLCMDataset, llcm_gallery, llcm_query
from .regdb import RegDBDataset
from .seeded_augmentation import SeededAugmentationMixin, SeededIndex, draw_seed
from .sysu_mm01 import SYSUMM01Dataset, sysu_gallery, sysu_image_counts, sysu_query
from .visible_views import VisibleViewsDataset
