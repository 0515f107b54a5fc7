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
"""convert_pt2e fails on a symmetric dynamic activation that feeds two quantized inputs.

prepare_pt2e gives a tensor read by two quantized ops one shared observer. For dynamic quantization convert_pt2e
then emits choose_qparams -> quantize -> dequantize with two users; DuplicateDQPass leaves that dequantize shared
only when the choose_qparams is the affine `choose_qparams.tensor`, so with `choose_qparams_symmetric.tensor` it
duplicates the dequantize, and PortNodeMetaForQDQ raises "Expecting single user for quantize_per_tensor_tensor".
Measured with torch 2.14.1 + torchao 0.18.0 and with torch 2.5.1 (torch.ao.quantization); torch 2.4.1 fails on
every symmetric dynamic activation ("No chose qparams node found").
"""

import torch

try:  # torch>=2.11: PT2E quantization lives in torchao
    from torchao.quantization.pt2e.observer import PlaceholderObserver
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import QuantizationSpec
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as xiq
except ImportError:
    from torch.ao.quantization.observer import PlaceholderObserver
    from torch.ao.quantization.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torch.ao.quantization.quantizer import QuantizationSpec
    from torch.ao.quantization.quantizer import x86_inductor_quantizer as xiq


class TwoReaders(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = torch.nn.Linear(16, 16)
        self.up = torch.nn.Linear(16, 16)

    def forward(self, x):
        return self.gate(x) * self.up(x)


def config(qscheme):
    activation = QuantizationSpec(
        dtype=torch.uint8,
        quant_min=0,
        quant_max=255,
        qscheme=qscheme,
        is_dynamic=True,
        observer_or_fake_quant_ctr=PlaceholderObserver.with_args(eps=2**-12),
    )
    default = xiq.get_default_x86_inductor_quantization_config(is_dynamic=True)
    return xiq.QuantizationConfig(activation, activation, default.weight, None, False)


torch.manual_seed(0)
model, x = TwoReaders().eval(), torch.randn(8, 16)
print("torch", torch.__version__)
for qscheme in (torch.per_tensor_affine, torch.per_tensor_symmetric):
    quantizer = xiq.X86InductorQuantizer().set_global(config(qscheme))
    prepared = prepare_pt2e(torch.export.export(model, (x,), strict=True).module(), quantizer)
    prepared(x)
    try:
        convert_pt2e(prepared)
        print(qscheme, "converts")
    except Exception as error:  # the pass manager wraps the InternalError
        print(qscheme, "fails:", repr(error.__cause__ or error)[:160])
