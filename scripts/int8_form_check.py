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
"""Show that int8 activations in uint8 form compute exactly what the int8 form computes, model by model.

For each model, the same calibration data through two X86 quantizer configs that differ only in the form of the
activations: the fixed factory's config for ``StaticQuantConfig(act_dtype="int8", act_sym=...)`` (uint8 quantize
nodes, zero point + 128) and the same config with the int8 activation spec the tables build (int8 quantize nodes).
Both go through the checked X86 quantizer, prepare_pt2e and convert_pt2e; the script prints whether the eager outputs
are equal bit for bit. Models: the zoo's, and ``minilm`` (the demo's all-MiniLM-L6-v2 with its quick calibration
sentences). Usage: ``python scripts/int8_form_check.py [MODEL ...]`` (default: all whose packages are installed).
"""

import contextlib
import sys

import torch

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import StaticQuantConfig
from neural_compressor_pt2e_fix import demo, zoo
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import (
    QuantizationConfig,
    convert_pt2e,
    prepare_pt2e,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.utility import (
    create_quant_spec_from_config,
    create_xiq_quantizer_from_pt2e_config,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.x86_quantizer import X86InductorQuantizerChecked


def _model(name):
    """Return a model, its calibration batches (tuples of inputs) and the context to export it in."""
    if name == "minilm":
        from neural_compressor_pt2e_fix.demo import minilm_sentences

        workload = minilm_sentences.workload(minilm_sentences.PLANS["quick"])
        return workload.model, workload.calibration, contextlib.nullcontext
    model, batches = zoo.build(name)
    return model, [(batch,) for batch in batches], zoo.MODELS[name].export_context


def _converted(model, batches, quantizer, export_context):
    with export_context():
        exported = export(model, example_inputs=batches[0])
    prepared = prepare_pt2e(exported, quantizer)
    for batch in batches:
        prepared(*batch)
    return convert_pt2e(prepared)


def forms_equal(name, act_sym):
    """Quantize one model in both forms; return (equal outputs, uint8 quantize nodes, int8 quantize nodes)."""
    model, batches, context = _model(name)
    uint8_form = create_xiq_quantizer_from_pt2e_config(StaticQuantConfig(act_dtype="int8", act_sym=act_sym))
    fixed = uint8_form.global_config
    int8_spec = create_quant_spec_from_config("int8", act_sym, "per_tensor", "minmax")
    int8_form = X86InductorQuantizerChecked()
    int8_form.set_global(QuantizationConfig(int8_spec, int8_spec, fixed.weight, None, False))
    outputs, dtypes = [], []
    for quantizer in (uint8_form, int8_form):
        converted = _converted(model, batches, quantizer, context)
        quantize = torch.ops.quantized_decomposed.quantize_per_tensor.default
        dtypes.append({node.args[-1] for node in converted.graph.nodes if node.target == quantize})
        with torch.no_grad():
            outputs.append(converted(*batches[0]))
    return torch.equal(*outputs), dtypes


def main(argv=None):
    """Print one line per model and activation mode."""
    names = (argv if argv is not None else sys.argv[1:]) or [
        *(n for n in zoo.MODELS if zoo.missing_requirement(n) is None),
        *(["minilm"] if not demo.missing_requirements(["minilm"]) else []),
    ]
    failures = 0
    for name in names:
        for act_sym in (False, True):
            equal, (uint8_dtypes, int8_dtypes) = forms_equal(name, act_sym)
            failures += not equal
            print(
                f"{name:<20} act_sym={act_sym!s:<5}  eager outputs equal: {equal}  quantize dtypes: uint8 form "
                f"{sorted(map(str, uint8_dtypes))}, int8 form {sorted(map(str, int8_dtypes))}",
                flush=True,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
