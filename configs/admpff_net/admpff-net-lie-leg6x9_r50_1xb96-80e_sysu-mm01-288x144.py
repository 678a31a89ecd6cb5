# Fig. 6b: LIE on a larger leg region, the bottom third of the map (6x9 of 18x9).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(2 / 3, 1.0))))
