# Fig. 5 "Global part": the third branch is an independent global branch (max-pool of the
# whole map) instead of LIE.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(0.0, 1.0), pooling='max')))
