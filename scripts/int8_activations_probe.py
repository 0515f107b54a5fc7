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
"""Does the running torch's inductor compute int8 activations with per_channel weights on Linear right?

The evidence behind ``pt2e_compat.INT8_ACTIVATIONS_SINCE``. Standalone on purpose: it needs torch only (no INC, no
this package), so it runs in a venv holding nothing but the torch release under test. A two-Linear model goes through
torch's own PT2E flow (``prepare_pt2e`` -> calibrate -> ``convert_pt2e``) with the X86 inductor quantizer, int8
per-tensor activations (affine, then symmetric) and int8 per_channel symmetric weights; the converted model is run
eagerly and compiled by inductor (``freezing=True``), and the largest difference is printed against the tolerance of
the project's tests (``COMPILED_ATOL`` in test/torch/quantization/test_pt2e_quant_configs.py: one int8 step at fc2's
input times max|fc2 weight|, below 2e-3 here; a release that computes them right lands within 1e-7). Usage:
``python scripts/int8_activations_probe.py``.
"""

import warnings

import torch
from torch._inductor import config as inductor_config

try:  # torch>=2.11 ships PT2E in torchao only; before, in torch.ao
    from torchao.quantization.pt2e import MinMaxObserver, PerChannelMinMaxObserver
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import QuantizationSpec
    from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import QuantizationConfig, X86InductorQuantizer
except ImportError:
    from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver
    from torch.ao.quantization.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torch.ao.quantization.quantizer import QuantizationSpec
    from torch.ao.quantization.quantizer.x86_inductor_quantizer import QuantizationConfig, X86InductorQuantizer


# The tolerance of compiled against eager (see the module docstring).
TOLERANCE = 2e-3


class TwoLinear(torch.nn.Module):
    """The model of the project's tests: Linear(16, 32), ReLU, Linear(32, 8)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def _quantizer(qscheme):
    """Return an X86 inductor quantizer with int8 activations of ``qscheme`` and int8 per_channel weights."""
    activation = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=qscheme,
        is_dynamic=False,
        observer_or_fake_quant_ctr=MinMaxObserver.with_args(eps=2**-12),
    )
    weight = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0,
        is_dynamic=False,
        observer_or_fake_quant_ctr=PerChannelMinMaxObserver.with_args(eps=2**-12),
    )
    config = QuantizationConfig(
        input_activation=activation, output_activation=activation, weight=weight, bias=None, is_qat=False
    )
    return X86InductorQuantizer().set_global(config)


def probe(qscheme):
    """Quantize the two-Linear model with int8 activations of ``qscheme``; compare compiled with eager.

    Args:
        qscheme (torch.qscheme): ``torch.per_tensor_affine`` or ``torch.per_tensor_symmetric``.

    Returns:
        float: The largest |compiled - eager|.
    """
    torch.manual_seed(0)
    model, example = TwoLinear().eval(), torch.randn(8, 16)
    export = getattr(torch.export, "export_for_training", torch.export.export)
    with torch.no_grad():
        exported = export(model, (example,), strict=True).module()
        prepared = prepare_pt2e(exported, _quantizer(qscheme))
        prepared(example)
        converted = convert_pt2e(prepared)
        eager = converted(example)
        torch._dynamo.reset()
        with inductor_config.patch(freezing=True):
            compiled = torch.compile(converted)(example)
    return (compiled - eager).abs().max().item()


def main():
    """Print one line per activation qscheme: the torch version, the difference and the verdict, or the failure."""
    warnings.simplefilter("ignore")  # torch.ao's deprecation notices would drown the result
    for qscheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        try:
            difference = probe(qscheme)
        except Exception as exc:  # torch < 2.7 fails to compile them
            print(f"torch {torch.__version__}, int8 {qscheme}: fails ({type(exc).__name__})")
            continue
        verdict = "right" if difference <= TOLERANCE else "WRONG"
        print(f"torch {torch.__version__}, int8 {qscheme}: max|compiled - eager| = {difference:.3g} ({verdict})")


if __name__ == "__main__":
    main()
