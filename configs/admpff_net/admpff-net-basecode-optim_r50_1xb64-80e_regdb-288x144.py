# ADMPFF-Net on RegDB with the optimizer of its base code (HcTri): backbone at 0.1x the lr and
# Nesterov momentum; see admpff-net-basecode-optim_r50_1xb96-80e_sysu-mm01-288x144.py.
_base_ = './admpff-net_r50_1xb64-80e_regdb-288x144.py'

optim_wrapper = dict(
    optimizer=dict(nesterov=True), paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}))
