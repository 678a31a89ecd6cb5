# Table 4 row "2": specific stage0-1, fusion stage2, stage3-4 x3.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(backbone=dict(specific_stages=(0, 1), shared_stages=(2, ), duplicated_stages=(3, 4)))
