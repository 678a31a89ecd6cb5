# Fig. 6a: LIE on the upper body, the middle part of pIS 1:2:3 (6x9 of 18x9).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(1 / 6, 1 / 2))))
