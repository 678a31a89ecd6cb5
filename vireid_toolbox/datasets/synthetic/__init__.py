"""Procedurally rendered visible-infrared people in the SYSU-MM01 and RegDB layouts."""
from .layout import make_synthetic_regdb, make_synthetic_sysu_mm01, write_pose_cache

__all__ = ['make_synthetic_sysu_mm01', 'make_synthetic_regdb', 'write_pose_cache']
