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
"""Inductor writes a quantized Linear's residual add into the caller's input tensor.

`x + linear(x)` with `x` a graph input, quantized by the X86 inductor quantizer, is lowered to oneDNN
`qlinear_pointwise.binary` with the in-place 'sum' post-op: the compiled model returns the caller's `x`,
overwritten with the result. Plain torch (2.4) or torch + torchao (torch>=2.11); no other package.
"""

import torch

try:  # torch>=2.11: PT2E quantization lives in torchao
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as xiq
except ImportError:
    from torch.ao.quantization.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torch.ao.quantization.quantizer import x86_inductor_quantizer as xiq


class Residual(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 16)

    def forward(self, x):
        return x + self.fc(x)


torch.manual_seed(0)
model, x = Residual().eval(), torch.randn(8, 16)
quantizer = xiq.X86InductorQuantizer().set_global(xiq.get_default_x86_inductor_quantization_config())
prepared = prepare_pt2e(torch.export.export(model, (x,), strict=True).module(), quantizer)
prepared(x)
converted = convert_pt2e(prepared)

before = x.clone()
with torch.no_grad():
    expected = converted(x)
    torch._inductor.config.freezing = True
    result = torch.compile(converted)(x)
print("torch", torch.__version__)
print("compiled output is the input tensor:", result.data_ptr() == x.data_ptr())
print("input changed:", not torch.equal(x, before), "| max|x - x_before| =", (x - before).abs().max().item())
print("max|compiled - eager| =", (result - expected).abs().max().item())
