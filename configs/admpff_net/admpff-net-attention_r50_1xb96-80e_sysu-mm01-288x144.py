# Fig. 5 "Attention": the third branch pools the whole map with a learned spatial attention
# (the paper does not describe its attention branch; see LIE's docstring).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(0.0, 1.0), pooling='attention')))
