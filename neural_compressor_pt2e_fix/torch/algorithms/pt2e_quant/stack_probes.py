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
"""Probes of the torch/torchao defects that the PT2E backend works around: each says whether the stack is fixed."""

import functools

import torch


@functools.cache
def dynamic_affine_compiles_right():
    """Tell whether the running inductor computes affine dynamic qparams as eager mode does.

    Probes inductor's decomposition of ``quantized_decomposed.choose_qparams.tensor`` on an all-positive tensor,
    against the op itself: eager mode widens the range to include 0, and torch 2.4.1 to 2.14.1 (at least) decompose
    it from the raw min and max instead, halving the scale of ``[1, 2]``. Imported on first call: it loads inductor.

    Returns:
        bool: True if the decomposition gives the op's scale and zero point (or there is no decomposition).
    """
    from torch._inductor.decomposition import decompositions

    choose_qparams = torch.ops.quantized_decomposed.choose_qparams.tensor
    decomposition = decompositions.get(choose_qparams)
    if decomposition is None:
        return True
    args = (torch.tensor([1.0, 2.0]), 0, 255, 2**-12, torch.uint8)
    return all(torch.equal(ours, theirs) for ours, theirs in zip(choose_qparams(*args), decomposition(*args)))


__all__ = ["dynamic_affine_compiles_right"]
