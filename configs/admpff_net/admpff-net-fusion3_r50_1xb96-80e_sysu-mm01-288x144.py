# Table 4 row "3": specific stage0-2, fusion stage3, stage4 x3.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(backbone=dict(specific_stages=(0, 1, 2), shared_stages=(3, ), duplicated_stages=(4, )))
