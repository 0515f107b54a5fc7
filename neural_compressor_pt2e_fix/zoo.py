# Copyright (c) 2026 The neural-compressor-pt2e-fix Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#    http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The model zoo of ``inc-pt2e-fix matrix --models``: real architectures and small blocks, random init.

torchvision classifiers are built with ``weights=None`` (no download) and their BatchNorm statistics re-estimated on
random data, so deep nets keep activations of a sane range; the built-in blocks are the shapes where the X86 inductor
backend has failed before (an add of a graph input to a Linear, Conv1d, dynamic activations after ReLU and pooling).
Every model and batch is built from a fixed seed in a forked RNG, so the global RNG is untouched.
"""

import contextlib
import dataclasses
import importlib.util
from typing import Callable

import torch

# Batches run through a torchvision model in train mode to re-estimate its BatchNorm statistics.
_BN_BATCHES = 4


class TinyViT(torch.nn.Module):
    """A two-layer pre-LN vision transformer on 32x32 images: conv patch embedding, encoder, mean pool, head."""

    def __init__(self, dim=32, heads=4, layers=2, classes=10):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, dim, 4, stride=4)
        self.position = torch.nn.Parameter(torch.randn(1, 64, dim) * 0.02)
        layer = torch.nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, classes)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2) + self.position
        return self.head(self.norm(self.encoder(tokens).mean(1)))


class Conv1dNet(torch.nn.Module):
    """Two Conv1d layers, each followed by its own ReLU module, average pooling and a Linear head."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(8, 16, 5)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv1d(16, 16, 3)
        self.relu2 = torch.nn.ReLU()
        self.pool = torch.nn.AdaptiveAvgPool1d(1)
        self.fc = torch.nn.Linear(16, 4)

    def forward(self, x):
        return self.fc(self.pool(self.relu2(self.conv2(self.relu1(self.conv1(x))))).flatten(1))


class ResidualPool(torch.nn.Module):
    """A conv stem, a residual block (conv, ReLU, conv, add, ReLU), max and average pooling, a Linear head."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.conv1 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(x + self.conv2(torch.relu(self.conv1(x))))
        return self.head(self.pool(x).mean((2, 3)))


class MLPBlock(torch.nn.Module):
    """A transformer's pre-LN MLP block with its residual: ``x + fc2(gelu(fc1(norm(x))))``."""

    def __init__(self, dim=64, hidden=256):
        super().__init__()
        self.norm = torch.nn.LayerNorm(dim)
        self.fc1 = torch.nn.Linear(dim, hidden)
        self.act = torch.nn.GELU()
        self.fc2 = torch.nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class SwiGLUBlock(torch.nn.Module):
    """A SwiGLU feed-forward block with its residual: ``x + down(silu(gate(x)) * up(x))``."""

    def __init__(self, dim=64, hidden=128):
        super().__init__()
        self.gate = torch.nn.Linear(dim, hidden)
        self.up = torch.nn.Linear(dim, hidden)
        self.down = torch.nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.down(torch.nn.functional.silu(self.gate(x)) * self.up(x))


def _torchvision(name):
    """Return a builder of a torchvision classifier with random weights."""

    def build():
        import torchvision

        return getattr(torchvision.models, name)(weights=None)

    build.requires = "torchvision"
    return build


@contextlib.contextmanager
def _mha_fast_path_off():
    """Export MultiheadAttention as its parts: with the fast path on, an encoder layer exports as one fused op."""
    enabled = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(enabled)


@dataclasses.dataclass(frozen=True)
class ZooModel:
    """One model of the zoo.

    Attributes:
        build (Callable[[], torch.nn.Module]): Builds the float model with random weights.
        input_shape (tuple[int, ...]): The shape of one batch.
        local (str): The name of a conv or linear module that the set_local case leaves in fp32.
        batchnorm (bool): Whether to re-estimate BatchNorm statistics on random data after building.
        export_context (Callable): A context manager factory to export in.
    """

    build: Callable
    input_shape: tuple
    local: str
    batchnorm: bool = False
    export_context: Callable = contextlib.nullcontext


MODELS = {
    "resnet18": ZooModel(_torchvision("resnet18"), (2, 3, 32, 32), "layer1.0.conv1", batchnorm=True),
    "mobilenet_v3_small": ZooModel(
        _torchvision("mobilenet_v3_small"), (2, 3, 32, 32), "features.1.block.0.0", batchnorm=True
    ),
    "efficientnet_b0": ZooModel(
        _torchvision("efficientnet_b0"), (2, 3, 32, 32), "features.1.0.block.0.0", batchnorm=True
    ),
    "shufflenet_v2_x0_5": ZooModel(_torchvision("shufflenet_v2_x0_5"), (2, 3, 32, 32), "conv1.0", batchnorm=True),
    "squeezenet1_1": ZooModel(_torchvision("squeezenet1_1"), (2, 3, 32, 32), "features.0"),
    "tiny_vit": ZooModel(TinyViT, (2, 3, 32, 32), "encoder.layers.0.linear1", export_context=_mha_fast_path_off),
    "conv1d_net": ZooModel(Conv1dNet, (2, 8, 64), "conv1"),
    "residual_pool": ZooModel(ResidualPool, (2, 3, 16, 16), "conv1"),
    "mlp_block": ZooModel(MLPBlock, (16, 64), "fc1"),
    "swiglu_block": ZooModel(SwiGLUBlock, (16, 64), "up"),
}


# The quick set of ``matrix --models quick``: the models built into the zoo, small and without torchvision.
QUICK = tuple(name for name, entry in MODELS.items() if not hasattr(entry.build, "requires"))


def missing_requirement(name):
    """Return the package a zoo model needs that is not installed, or None.

    Args:
        name (str): A key of :data:`MODELS`.

    Returns:
        str or None: E.g. ``"torchvision"``.
    """
    requires = getattr(MODELS[name].build, "requires", None)
    return requires if requires is not None and importlib.util.find_spec(requires) is None else None


def _reestimate_batchnorm(model, shape):
    """Recompute every BatchNorm's running statistics as the plain average over random batches."""
    norms = [module for module in model.modules() if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)]
    for module in norms:
        module.reset_running_stats()
        module.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(_BN_BATCHES):
            model(torch.randn(4, *shape[1:]))


def build(name, batches=4, seed=0):
    """Build one zoo model in eval mode and its input batches.

    Args:
        name (str): A key of :data:`MODELS`.
        batches (int): How many batches to draw; all calibrate, the first is the test input.
        seed (int): The seed of the weights and data.

    Returns:
        tuple[torch.nn.Module, list[torch.Tensor]]: The model and its batches.
    """
    entry = MODELS[name]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = entry.build()
        if entry.batchnorm:
            _reestimate_batchnorm(model, entry.input_shape)
        data = [torch.randn(entry.input_shape) for _ in range(batches)]
    return model.eval(), data
