# Table 6 "Global no / Local yes": only the strips (and LIE) are supervised.
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(head=dict(global_loss=False))
