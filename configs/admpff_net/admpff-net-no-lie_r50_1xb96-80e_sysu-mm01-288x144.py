# Fig. 5 "Non": no third branch; test feature concat(local-3, local-6) = 9 x 512.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(
    backbone=dict(num_branches=2), neck=dict(enhance=None), head=dict(with_enhance=False))
