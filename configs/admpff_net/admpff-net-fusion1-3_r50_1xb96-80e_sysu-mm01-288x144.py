# Table 4 row "1-3" (Table 1 scheme 1): specific stage0, fusion stage1-3, stage4 x3.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(backbone=dict(specific_stages=(0, ), shared_stages=(1, 2, 3), duplicated_stages=(4, )))
