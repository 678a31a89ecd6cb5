"""The speed switches in a real mmengine Runner give the results of the plain run on CPU:
ChannelsLastHook, TorchCompileHook (and its eager fallback), gradient accumulation with the
cross-modality sampler."""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from vireid_toolbox.datasets.samplers import CrossModalityIdentitySampler
from vireid_toolbox.engine.hooks import ChannelsLastHook, TorchCompileHook
from vireid_toolbox.utils import register_all_modules


class ToyConvModel(BaseModel):
    """Conv + BN + linear classifier with a per-sample mean loss."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.fc = nn.Linear(4, 3)

    def forward(self, inputs, labels, modalities, mode='loss'):
        logits = self.fc(self.conv(inputs).mean((2, 3)))
        return dict(loss=nn.functional.cross_entropy(logits, labels))


class ToyCrossModalitySet:
    """Three identities with two visible and two infrared 3 x 6 x 4 images each."""

    def __init__(self):
        generator = torch.Generator().manual_seed(1)
        self.items = [dict(inputs=torch.randn(3, 6, 4, generator=generator),
                           labels=torch.tensor(i // 4), modalities=torch.tensor(i % 4 // 2))
                      for i in range(12)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def get_data_info(self, index):
        item = self.items[index]
        return dict(gt_label=int(item['labels']), modality=int(item['modalities']))


class BatchRecorder(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.batches = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.batches.append(copy.deepcopy(data_batch))


def train(tmp_path, hooks=(), accumulative_counts=1, max_iters=2, lr=0.5, **optim_wrapper):
    register_all_modules()
    dataset = ToyCrossModalitySet()
    runner = Runner(
        model=ToyConvModel(), work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=dataset, batch_size=4, collate_fn=dict(type='default_collate'),
            sampler=CrossModalityIdentitySampler(dataset, 4, num_ids=2, num_instances=1, seed=0)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr),
                           accumulative_counts=accumulative_counts, **optim_wrapper),
        train_cfg=dict(by_epoch=False, max_iters=max_iters), custom_hooks=list(hooks),
        default_hooks=dict(checkpoint=None, logger=dict(type='LoggerHook', interval=100)),
        default_scope='vireid_toolbox', experiment_name=f'speed_{tmp_path.name}')
    runner.train()
    return runner.model


def assert_same_model(model, reference, rtol=1e-4, atol=1e-5):
    for (name, value), (_, expected) in zip(model.state_dict().items(),
                                            reference.state_dict().items()):
        torch.testing.assert_close(value.cpu(), expected.cpu(), rtol=rtol, atol=atol,
                                   msg=name)


@pytest.fixture(scope='module')
def plain(tmp_path_factory):
    return train(tmp_path_factory.mktemp('plain'))


def test_channels_last_trains_like_the_plain_model(tmp_path, plain):
    model = train(tmp_path, [ChannelsLastHook()])
    assert model.conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.conv[0].weight.is_contiguous()
    assert list(model.state_dict()) == list(plain.state_dict())
    assert_same_model(model, plain)


def test_compiled_model_trains_like_the_plain_model(tmp_path, plain):
    graphs = []

    def recording_backend(graph_module, example_inputs):
        graphs.append(graph_module)
        return graph_module.forward

    model = train(tmp_path, [TorchCompileHook(backend=recording_backend)])
    assert graphs, 'the compiled forward never ran'
    assert list(model.state_dict()) == list(plain.state_dict())
    assert_same_model(model, plain)


def test_failing_compilation_falls_back_to_eager_with_a_warning(tmp_path, plain):
    def broken_backend(graph_module, example_inputs):
        raise RuntimeError('no C++ compiler found')

    with pytest.warns(RuntimeWarning, match='torch.compile is unavailable here, training runs '
                      'eagerly .*no C\\+\\+ compiler found'):
        model = train(tmp_path, [TorchCompileHook(backend=broken_backend)])
    assert model._compiled_call_impl is None
    assert_same_model(model, plain)


def test_accumulated_step_is_the_mean_gradient_of_whole_cross_modality_batches(tmp_path):
    """accumulative_counts=2: two sampler batches (each still P ids x K images x 2 modalities),
    then one SGD step along the mean of their gradients, as computed here by hand."""
    recorder = BatchRecorder()
    model = train(tmp_path, [recorder], accumulative_counts=2, max_iters=2)
    assert len(recorder.batches) == 2
    for batch in recorder.batches:
        for label in batch['labels'].unique():
            assert sorted(batch['modalities'][batch['labels'] == label].tolist()) == [0, 1]

    reference = ToyConvModel()
    reference.train()
    for batch in recorder.batches:
        loss = reference(batch['inputs'], batch['labels'], batch['modalities'])['loss']
        (loss / 2).backward()
    with torch.no_grad():
        for param in reference.parameters():
            param -= 0.5 * param.grad
    assert_same_model(model, reference)
    assert not torch.allclose(model.fc.weight, ToyConvModel().fc.weight)


@pytest.mark.cuda
@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_amp_and_channels_last_train_like_the_plain_model_on_cuda(tmp_path, plain, dtype):
    """On a GPU (where the Runner puts the model): AmpOptimWrapper (fp16 with loss scaling, or
    bf16) and channels-last weights give the float32 run's weights within half precision."""
    model = train(tmp_path, [ChannelsLastHook()], type='AmpOptimWrapper', dtype=dtype)
    assert model.conv[0].weight.is_cuda
    assert model.conv[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert_same_model(model, plain, rtol=2e-2, atol=2e-2)
