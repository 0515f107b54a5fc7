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
"""The numbers the demo reports: SQNR, top-1 agreement, embedding cosine, retrieval agreement, weight error, kernels.

Only torch and this package are needed here, so these helpers work on every supported stack.
"""

import re

import torch

from neural_compressor_pt2e_fix.common import sqnr_db
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import OBSERVER_EPS

# A call of a oneDNN int8 conv or linear kernel in inductor's generated wrapper code, e.g.
# ``torch.ops.onednn.qconv_pointwise.tensor(`` or ``torch.ops.onednn.qlinear_pointwise.default(``. Weight packing
# (``qconv_prepack``) is not a kernel call; with freezing it is folded away anyway.
_INT8_KERNEL_CALL = re.compile(r"\bonednn\.(qconv|qlinear)(?!_prepack)\w*\.\w+\(")


def top1_agreement(reference, approximation):
    """Return how often two classifiers agree on the top-1 class, in percent.

    Args:
        reference (torch.Tensor): Logits of shape (samples, classes).
        approximation (torch.Tensor): Logits of the same shape.

    Returns:
        float: 100 times the fraction of samples whose argmax is the same in both.
    """
    return 100.0 * (reference.argmax(dim=-1) == approximation.argmax(dim=-1)).double().mean().item()


def symmetric_int8_scale(amax):
    """Return the scale of symmetric int8 quantization as the x86 PT2E backend computes it: ``max|w| / 127.5``.

    The integer range is -128..127 and the zero point 0; the scale is at least the observers' ``eps`` (2**-12).

    Args:
        amax (torch.Tensor): ``max|w|`` over what shares the scale (one value, or one per output channel).

    Returns:
        torch.Tensor: The scale, same shape as ``amax``.
    """
    return (amax / 127.5).clamp_min(OBSERVER_EPS)


def fake_quantize_int8(weight, per_channel):
    """Quantize a weight to symmetric int8 and back, as the x86 PT2E backend does (:func:`symmetric_int8_scale`).

    Args:
        weight (torch.Tensor): The float weight; output channels along dimension 0.
        per_channel (bool): One scale per output channel (True) or one for the whole tensor (False).

    Returns:
        torch.Tensor: The dequantized weight, same shape and dtype.
    """
    amax = weight.abs().flatten(1).amax(dim=1) if per_channel else weight.abs().amax()
    scale = symmetric_int8_scale(amax)
    if per_channel:
        scale = scale.reshape(-1, *([1] * (weight.dim() - 1)))
    return (weight / scale).round().clamp(-128, 127) * scale


def weight_sqnr_db(weight, per_channel):
    """Return the SQNR of a weight's symmetric int8 quantization (:func:`fake_quantize_int8`), in dB.

    Args:
        weight (torch.Tensor): The float weight; output channels along dimension 0.
        per_channel (bool): Per output channel (True) or per tensor (False).

    Returns:
        float: The SQNR in dB.
    """
    return sqnr_db(weight, fake_quantize_int8(weight, per_channel))


def count_int8_kernels(code):
    """Count the oneDNN int8 conv and linear kernel calls in inductor's generated code.

    Args:
        code (str): The wrapper code inductor generated for one compiled graph (e.g. from
            ``torch._inductor.utils.run_and_get_code``), or several joined.

    Returns:
        dict: ``"conv"`` and ``"linear"`` -> number of calls.
    """
    kinds = [match[1] for match in _INT8_KERNEL_CALL.finditer(code)]
    return {"conv": kinds.count("qconv"), "linear": kinds.count("qlinear")}


def cosine_similarities(reference, approximation):
    """Return the cosine similarity of each row of two embedding matrices, in float64.

    Args:
        reference (torch.Tensor): Embeddings of shape (samples, dimensions), e.g. from the fp32 model.
        approximation (torch.Tensor): Embeddings of the same shape, e.g. from the int8 model.

    Returns:
        torch.Tensor: float64, shape (samples,).
    """
    return torch.nn.functional.cosine_similarity(reference.double(), approximation.double(), dim=1)


def nearest_neighbours(queries, corpus):
    """Return the index of each query's nearest corpus embedding by cosine similarity.

    Args:
        queries (torch.Tensor): Embeddings of shape (queries, dimensions).
        corpus (torch.Tensor): Embeddings of shape (documents, dimensions).

    Returns:
        torch.Tensor: int64, shape (queries,).
    """
    queries = torch.nn.functional.normalize(queries.double(), dim=1)
    corpus = torch.nn.functional.normalize(corpus.double(), dim=1)
    return (queries @ corpus.T).argmax(dim=1)


def retrieval_agreement(reference, approximation, queries):
    """Return how often each query's nearest neighbour is the same under two models, in percent.

    The embeddings hold the queries first, then the corpus.

    Args:
        reference (torch.Tensor): Embeddings of shape (samples, dimensions).
        approximation (torch.Tensor): Embeddings of the same samples from the other model.
        queries (int): How many of the first samples are queries.

    Returns:
        float: 100 times the fraction of queries whose nearest corpus embedding is the same in both.
    """
    expected = nearest_neighbours(reference[:queries], reference[queries:])
    got = nearest_neighbours(approximation[:queries], approximation[queries:])
    return 100.0 * (expected == got).double().mean().item()


def paraphrase_top1(embeddings, queries):
    """Return how often a query's nearest corpus embedding is its own paraphrase (corpus item ``i`` for query ``i``).

    Args:
        embeddings (torch.Tensor): The queries, then their paraphrases in the same order.
        queries (int): The number of queries.

    Returns:
        float: The percentage of queries that retrieve their paraphrase.
    """
    found = nearest_neighbours(embeddings[:queries], embeddings[queries:])
    return 100.0 * (found == torch.arange(queries)).double().mean().item()
