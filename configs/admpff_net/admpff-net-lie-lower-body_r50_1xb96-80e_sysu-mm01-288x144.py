# Fig. 6a/6b: LIE on the lower body, the bottom part of pIS 1:2:3 (9x9 of 18x9).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(neck=dict(enhance=dict(region=(1 / 2, 1.0))))
