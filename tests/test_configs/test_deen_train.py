"""DEEN end to end on the tiny synthetic SYSU-layout set: two iterations of tools/train.py with
the synthetic config, then tools/test.py producing the SYSU-MM01 protocol metrics."""
import os.path as osp

from conftest import (IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, make_workspace,
                      run_tool, write_config)
from vireid_toolbox.evaluation.metrics_file import read_metrics_file

DEEN = osp.join(REPO, 'configs/deen/deen_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size=8, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION


def test_deen_trains_and_tests(tmp_path, tiny_sysu_root):
    workspace = make_workspace(tmp_path, tiny_sysu_root)
    cfg = write_config(workspace, DEEN, SHORT_RUN, name='short_deen.py')
    work_dir = str(workspace / 'work')
    proc = run_tool(osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work_dir, cwd=workspace,
                    timeout=300)
    log = proc.stdout + proc.stderr
    for term in ('loss_id', 'loss_tri', 'loss_cpm', 'loss_ort'):
        assert f'{term}: ' in log, f'{term} missing from the training log'
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = checkpoint_state_dict(checkpoint)
    # MFA after layer1-3, two DEE expansions, a BNNeck whose bias never trains
    assert 'backbone.mfa.2.pixel_nl.W.1.weight' in state
    assert 'backbone.dee.branches.1.fuse.weight' in state
    assert not state['head.bottleneck.bias'].any()

    out = str(workspace / 'metrics.json')
    run_tool(osp.join(REPO, 'tools/test.py'), cfg, checkpoint, '--work-dir', work_dir, '--out',
             out, cwd=workspace, timeout=300)
    metrics = read_metrics_file(out)['metrics']
    # the config's flip test is tagged in every key and label
    assert {key.split('/')[1] for key in metrics} == {
        'all-single+flip', 'all-multi+flip', 'indoor-single+flip', 'indoor-multi+flip'}
    assert all(entry['flip_tta'] and entry['tta'] == 'flip' for entry in metrics.values())
