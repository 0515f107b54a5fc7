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
"""Run StaticQuantConfig settings through INC's public API eagerly and save each output or error.

Usage: ``python eager_probe.py SETTINGS.json OUTPUT.pt``. SETTINGS.json holds ``{label: {field: value}}``; OUTPUT.pt
gets ``{label: tensor}`` for the settings that ran, ``{label: "ExceptionType: first line"}`` for the others. The model
and data are seeded, so two runs on two INC trees compare float for float. Import nothing of
neural_compressor_pt2e_fix: the script runs on any INC.
"""

import json
import sys
import warnings

import torch

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import StaticQuantConfig, convert, prepare


def model_and_batches():
    """Build the conv+pool+linear model of ``inc-pt2e-fix matrix`` and four calibration batches, seeded."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 3 * 3, 4),
    ).eval()
    return model, [torch.randn(2, 3, 8, 8) for _ in range(4)]


def run_setting(setting):
    """Return the eager output of the converted model for one setting, or the error's type and first line."""
    model, batches = model_and_batches()
    try:
        prepared = prepare(export(model, (batches[0],)), quant_config=StaticQuantConfig(**setting))
        for batch in batches:
            prepared(batch)
        with torch.no_grad():
            return convert(prepared)(batches[0])
    except Exception as exc:  # the error is the result: the caller compares it
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def main(settings_path, output_path):
    """Run every setting of ``settings_path`` and save the results to ``output_path``."""
    warnings.filterwarnings("ignore")
    settings = json.loads(open(settings_path, encoding="utf-8").read())
    torch.save({label: run_setting(setting) for label, setting in settings.items()}, output_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
