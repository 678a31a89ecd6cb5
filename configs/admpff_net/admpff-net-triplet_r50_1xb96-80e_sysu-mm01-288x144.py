# Table 7 "L_tri": the batch-hard triplet loss (Hermans et al.) replaces the hetero-center
# triplet everywhere (the paper reports that it does not converge on SYSU-MM01).
_base_ = './admpff-net_r50_1xb96-80e_sysu-mm01-288x144.py'

model = dict(head=dict(loss=dict(triplet_loss=dict(type='BatchHardTripletLoss', margin=0.3))))
