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
"""An X86 inductor qlinear with an int8 (signed) input runs oneDNN's reference kernel on a CPU without AMX.

The X86InductorQuantizer's default config quantizes activations to uint8; the same config with int8 activations
(accepted by the quantizer for Linear) compiles to the same onednn.qlinear_pointwise calls and to the same results,
but on an AVX512-VNNI CPU without AMX oneDNN serves them with ``matmul,ref_int8:any`` (run with ONEDNN_VERBOSE=1 to
see it), orders of magnitude slower than with uint8 inputs. torch 2.11+ with torchao; no other package.
"""

import dataclasses
import time

import torch
import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as xiq
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e


def quantized(model, x, activation_dtype):
    config = xiq.get_default_x86_inductor_quantization_config()
    if activation_dtype == torch.int8:
        spec = dataclasses.replace(config.input_activation, dtype=torch.int8, quant_min=-128, quant_max=127)
        config = dataclasses.replace(config, input_activation=spec, output_activation=spec)
    quantizer = xiq.X86InductorQuantizer().set_global(config)
    prepared = prepare_pt2e(torch.export.export(model, (x,)).module(), quantizer)
    prepared(x)
    return convert_pt2e(prepared)


def per_call_ms(function, x, runs):
    function(x)
    start = time.perf_counter()
    for _ in range(runs):
        function(x)
    return (time.perf_counter() - start) / runs * 1e3


torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(384, 1536), torch.nn.GELU(), torch.nn.Linear(1536, 384)).eval()
x = torch.randn(256, 384)
print("torch", torch.__version__, "AMX:", torch.cpu._is_amx_tile_supported(), "threads:", torch.get_num_threads())
with torch.no_grad(), torch._inductor.config.patch(freezing=True):
    print(f"fp32 compiled: {per_call_ms(torch.compile(model), x, 20):.2f} ms per call")
    for dtype, runs in ((torch.uint8, 20), (torch.int8, 2)):
        q_model = quantized(model, x, dtype)
        torch._dynamo.reset()
        compiled = torch.compile(q_model)
        difference = (compiled(x) - q_model(x)).abs().max().item()
        print(
            f"{dtype} activations compiled: {per_call_ms(compiled, x, runs):.2f} ms per call, "
            f"max|compiled - eager| = {difference:.3g}"
        )
