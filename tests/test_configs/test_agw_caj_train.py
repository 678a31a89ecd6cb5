"""AGW and CAJ end to end on the tiny synthetic SYSU-layout set: two iterations of
tools/train.py each (2 ids per batch), and tools/test.py producing the SYSU-MM01 protocol
metrics from the CAJ checkpoint."""
import os.path as osp

import pytest

from conftest import (IN_PROCESS_EVALUATION, REPO, checkpoint_state_dict, make_workspace,
                      run_tool, write_config)
from vireid_toolbox.evaluation.metrics_file import read_metrics_file

AGW = osp.join(REPO, 'configs/agw/agw_r18_1xb16-10e_synthetic-sysu-mm01-96x48.py')
CAJ = osp.join(REPO, 'configs/caj/caj_r18_1xb24-10e_synthetic-sysu-mm01-96x48.py')
SHORT_RUN = """
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2), logger=dict(interval=1))
train_dataloader = dict(batch_size={batch}, num_workers=0, persistent_workers=False,
                        sampler=dict(batch_size={batch}, num_ids=2, num_instances=2))
""" + IN_PROCESS_EVALUATION


@pytest.fixture
def workspace(tmp_path, tiny_sysu_root):
    return make_workspace(tmp_path, tiny_sysu_root)


def train(workspace, config, views):
    """Train two iterations; return the config, work dir, training log and checkpoint."""
    body = SHORT_RUN.format(batch=(views + 1) * 2 * 2)
    cfg = write_config(workspace, config, body, name='short_' + osp.basename(config))
    work_dir = str(workspace / 'work')
    proc = run_tool(osp.join(REPO, 'tools/train.py'), cfg, '--work-dir', work_dir, cwd=workspace)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint)
    log = proc.stdout + proc.stderr
    for term in ('loss_id', 'loss_tri'):
        assert f'{term}: ' in log, f'{term} missing from the training log'
    return cfg, work_dir, checkpoint


def test_agw_trains(workspace):
    _, _, checkpoint = train(workspace, AGW, views=1)
    state = checkpoint_state_dict(checkpoint)
    # stage0 per modality, layer1-4 shared, a non-local block after layer2's and layer3's last block
    assert 'backbone.specific.1.0.conv1.weight' in state
    assert 'backbone.specific.0.1.0.conv1.weight' not in state
    assert 'backbone.non_local.stage3.0.conv_out.bn.weight' in state
    assert 'head.bnneck.weight' in state and 'head.classifier.bias' not in state


def test_caj_trains_and_tests(workspace):
    cfg, work_dir, checkpoint = train(workspace, CAJ, views=2)
    out = str(workspace / 'metrics.json')
    run_tool(osp.join(REPO, 'tools/test.py'), cfg, checkpoint, '--work-dir', work_dir,
             '--out', out, cwd=workspace)
    metrics = read_metrics_file(out)['metrics']
    # CAJ tests with flipping: every number's key and labels say so
    assert {key.split('/')[1] for key in metrics} == {
        'all-single+flip', 'all-multi+flip', 'indoor-single+flip', 'indoor-multi+flip'}
    assert all(entry['flip_tta'] and entry['tta'] == 'flip' for entry in metrics.values())
