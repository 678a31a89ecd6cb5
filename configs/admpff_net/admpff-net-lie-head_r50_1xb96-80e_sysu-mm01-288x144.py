# Fig. 6a: LIE on the head, the top part of pIS 1:2:3 (3x9 of 18x9).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(0.0, 1 / 6))))
