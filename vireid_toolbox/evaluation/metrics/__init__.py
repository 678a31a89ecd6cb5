from .base_vireid_metric import BaseVIReIDMetric, CollectedFeatures
from .llcm_metric import LLCMMetric
from .regdb_metric import RegDBMetric
from .sysu_mm01_metric import SYSUMM01Metric

__all__ = ['BaseVIReIDMetric', 'CollectedFeatures', 'SYSUMM01Metric', 'RegDBMetric', 'LLCMMetric']
