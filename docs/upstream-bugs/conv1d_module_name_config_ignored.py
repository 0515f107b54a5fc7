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
"""X86InductorQuantizer.set_module_name_qconfig is silently ignored for a Conv1d followed by a separate ReLU.

The X86 quantizer annotates Conv1d only within a Conv1d + ReLU pattern, and applies a module-name config to a
pattern only when every node of the pattern comes from that module. With the ReLU in another module (as in most
models), `set_module_name_qconfig("conv", None)` never applies and the conv is quantized by the global config;
nothing says so. A Conv2d has its own single-op annotator, so the same config on a Conv2d takes effect. Measured
with torch 2.14.1 + torchao 0.18.0. With torch 2.5.1 (torch.ao's quantizer) both weights print as fp32; whether that
quantizer quantizes a Conv1d at all was not measured.
"""

import torch

try:  # torch>=2.11: PT2E quantization lives in torchao
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as xiq
except ImportError:
    from torch.ao.quantization.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torch.ao.quantization.quantizer import x86_inductor_quantizer as xiq


class Net(torch.nn.Module):
    def __init__(self, conv):
        super().__init__()
        self.conv = conv
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


print("torch", torch.__version__)
for conv, x in ((torch.nn.Conv1d(4, 8, 3), torch.randn(2, 4, 16)), (torch.nn.Conv2d(4, 8, 3), torch.randn(2, 4, 8, 8))):
    quantizer = xiq.X86InductorQuantizer().set_global(xiq.get_default_x86_inductor_quantization_config())
    quantizer.set_module_name_qconfig("conv", None)  # leave "conv" in fp32
    prepared = prepare_pt2e(torch.export.export(Net(conv).eval(), (x,), strict=True).module(), quantizer)
    prepared(x)
    converted = convert_pt2e(prepared)
    convs = (torch.ops.aten.conv1d.default, torch.ops.aten.conv2d.default)
    weight = next(node.args[1] for node in converted.graph.nodes if node.target in convs)
    print(type(conv).__name__, "weight is", "quantized" if "quantize" in str(weight.target) else "fp32 (as configured)")
