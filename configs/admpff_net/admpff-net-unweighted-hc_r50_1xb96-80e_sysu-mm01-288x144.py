# Table 7 "L_tri_hc": the hetero-center losses without the MGJ weighting (alpha=beta=1).
# On SYSU-MM01 Table 3 already sets alpha=beta=1, so this equals the main recipe; the paper
# does not say what else differed in its row (see README).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(head=dict(loss=dict(alpha=1.0, beta=1.0)))
