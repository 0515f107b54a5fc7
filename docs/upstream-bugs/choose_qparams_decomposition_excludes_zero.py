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
"""Inductor's decomposition of quantized_decomposed.choose_qparams.tensor leaves 0 out of the range.

Eager `choose_qparams.tensor` (affine dynamic quantization) widens [min, max] to include 0, as every quantized
range must; inductor's decomposition in torch/_inductor/decomposition.py uses the raw min and max. For a tensor that
is all positive, the zero point clamps to 0 and the scale comes out too small, so compiled dynamic quantization
saturates every value above 255 * scale. Plain torch; no other package.
"""

import torch
import torch.ao.quantization.fx._decomposed  # noqa: F401 (registers the quantized_decomposed ops)


def qparams(x):
    return torch.ops.quantized_decomposed.choose_qparams.tensor(x, 0, 255, torch.finfo(torch.float32).eps, torch.uint8)


def fake_quant(x):
    scale, zero_point = qparams(x)
    q = torch.ops.quantized_decomposed.quantize_per_tensor.tensor(x, scale, zero_point, 0, 255, torch.uint8)
    return torch.ops.quantized_decomposed.dequantize_per_tensor.tensor(q, scale, zero_point, 0, 255, torch.uint8)


torch.manual_seed(0)
x = torch.rand(64) + 1  # all in [1, 2)
print("torch", torch.__version__)
eager, compiled = [t.item() for t in qparams(x)], [t.item() for t in torch.compile(qparams)(x)]
print("eager    scale, zero_point:", eager)
print("compiled scale, zero_point:", compiled)
print("compiled qparams equal eager:", compiled == eager)
print("eager    max|fake_quant(x) - x| =", (fake_quant(x) - x).abs().max().item())
print("compiled max|fake_quant(x) - x| =", (torch.compile(fake_quant)(x) - x).abs().max().item())
