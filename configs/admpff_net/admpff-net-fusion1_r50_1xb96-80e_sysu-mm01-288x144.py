# Table 1 scheme 4: specific stage0, fusion stage1, stage2-4 x3.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(backbone=dict(specific_stages=(0, ), shared_stages=(1, ), duplicated_stages=(2, 3, 4)))
