# Table 4 row "2-4": specific stage0-1, fusion stage2-4, no disentanglement (HcTri's
# split): the three MPFF branches read the one shared map.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(
    backbone=dict(
        specific_stages=(0, 1), shared_stages=(2, 3, 4), duplicated_stages=(), num_branches=1))
