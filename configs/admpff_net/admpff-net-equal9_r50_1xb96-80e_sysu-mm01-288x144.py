# Table 5 "Equal 9": the first mGFD branch cut into 9 equal strips instead of pIS 1:2:3.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(
    neck=dict(branch_ratios=((1, 1, 1, 1, 1, 1, 1, 1, 1), (1, 1, 1, 1, 1, 1))),
    head=dict(strips_per_branch=(9, 6)))
