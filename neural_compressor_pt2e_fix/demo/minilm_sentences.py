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
"""The demo's all-MiniLM-L6-v2 workload: embeddings of the sentences the repository ships (:mod:`.sentences`).

INC's default ``StaticQuantConfig()``, int8 activations and dynamic quantization, scored by the
cosine between each sentence's int8 and fp32 embedding and by retrieval: each query's nearest paraphrase under int8
against fp32's.
"""

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor_pt2e_fix.demo import metrics, minilm, plots, sentences
from neural_compressor_pt2e_fix.demo.pipeline import EAGER_BATCH, Column, Plan, Seconds, Workload

TITLE = "all-MiniLM-L6-v2"
DEFAULT_CONFIG = "default"
PLANS = {
    "full": Plan(calibration=64, evaluation=128, batch_sizes=(1, 8), configs=(DEFAULT_CONFIG, "act_int8", "dynamic")),
    "quick": Plan(calibration=32, evaluation=64, batch_sizes=(1,), configs=(DEFAULT_CONFIG,), variants=()),
}
COLUMNS = (
    Column("cosine_mean", "mean cosine", "{:.5f}"),
    Column("cosine_worst", "worst cosine", "{:.4f}"),
    Column("retrieval", "retrieval agreement", "{:.1f} %"),
    Column("paraphrase_top1", "paraphrase top-1", "{:.1f} %"),
)
COSINE_PNG = "minilm_cosine.png"
# What :func:`finish` does, for the progress lines.
FINISH = "plot"


def configs():
    """Return the INC configs of this model: label -> config."""
    return {
        DEFAULT_CONFIG: StaticQuantConfig(),
        "act_int8": StaticQuantConfig(act_dtype="int8"),
        "dynamic": DynamicQuantConfig(),
    }


def score(reference, embeddings):
    """Score int8 sentence embeddings against the fp32 ones (queries first, then their paraphrases)."""
    cosines = metrics.cosine_similarities(reference, embeddings)
    queries = len(reference) // 2
    return {
        "cosine_mean": cosines.mean().item(),
        "cosine_worst": cosines.min().item(),
        "retrieval": metrics.retrieval_agreement(reference, embeddings, queries),
        "paraphrase_top1": metrics.paraphrase_top1(embeddings, queries),
    }


def workload(plan):
    """Load all-MiniLM-L6-v2 and its tokenizer and tokenize the demo's sentences.

    Args:
        plan (Plan): Gives the number of calibration sentences and of evaluation pairs.

    Returns:
        Workload: The model and its data; the evaluation inputs hold the queries, then their paraphrases.
    """
    tokenizer = minilm.load_tokenizer()
    pairs = sentences.paraphrase_pairs(plan.evaluation)
    calibration = minilm.tokenize(tokenizer, sentences.calibration_sentences(plan.calibration))
    evaluation = minilm.tokenize(tokenizer, [query for query, _ in pairs] + [paraphrase for _, paraphrase in pairs])
    return Workload(
        title=TITLE,
        model=minilm.load_model(),
        calibration=list(zip(*(tensor.split(EAGER_BATCH) for tensor in calibration))),
        evaluation=evaluation,
        configs=configs(),
        default=DEFAULT_CONFIG,
        totals={"linear": minilm.CONFIG.layers * 6},
        score=score,
        columns=COLUMNS,
        seconds=Seconds(export=3.0, forward=0.02, compile=15.0, compile_fp32=7.0),
        # All its int8 ops are Linear: one graph serves batch 1 and 8 (EfficientNet-Lite0's convs specialise).
        dynamic_batch=True,
        description=[
            f"calibration: {plan.calibration} sentences; evaluation: {plan.evaluation} paraphrase pairs "
            f"({2 * plan.evaluation} sentences), written for this demo; every sentence padded to "
            f"{minilm.SEQUENCE_LENGTH} tokens",
            "embedding: mean of the token states over the attention mask, L2-normalised (the model's "
            "sentence-transformers config); retrieval: each query's nearest paraphrase by cosine",
            "default: INC's StaticQuantConfig(); act_int8: StaticQuantConfig(act_dtype='int8'); dynamic: "
            "DynamicQuantConfig()",
        ],
    )


def finish(workload, plan, result, out):
    """Draw the cosine plot and return the report lines that follow the tables.

    Args:
        workload (Workload): The model.
        plan (Plan): What was measured.
        result (dict): :attr:`~neural_compressor_pt2e_fix.demo.pipeline.Measurement.result`, without latency.
        out (pathlib.Path): The directory for the PNG.

    Returns:
        list[str]: The lines.
    """
    reference = result["reference"]
    queries = len(reference) // 2
    curves = {f"{label} (compiled)": figures["outputs"] for label, figures in result["configs"].items()}
    curves.update({f"{label} (eager)": figures["outputs"] for label, figures in result["variants"].items()})
    plots.cosine_curves(
        out / COSINE_PNG,
        {label: metrics.cosine_similarities(reference, outputs) for label, outputs in curves.items()},
        f"{TITLE}: int8 vs fp32 sentence embeddings, {len(reference)} sentences",
    )
    lines = [
        "",
        f"fp32 paraphrase top-1: {metrics.paraphrase_top1(reference, queries):.1f} % of {queries} queries retrieve "
        f"their own paraphrase among {queries} sentences",
    ]
    if plan == PLANS["quick"]:
        full = PLANS["full"]
        lines.append(
            f"--quick: {plan.calibration} calibration sentences and {plan.evaluation} pairs (full: "
            f"{full.calibration} and {full.evaluation}); config {DEFAULT_CONFIG} only, batch 1 only, no "
            "observer comparison"
        )
    return lines + [f"plot: {out / COSINE_PNG}"]
