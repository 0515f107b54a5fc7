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
"""The text the demo prints for one model: what was measured, the accuracy and latency tables, the observers."""

from neural_compressor_pt2e_fix.demo import latency


def _cells(workload, figures):
    return "  ".join(
        f"{column.format.format(figures[column.key]):>{len(column.header)}}" for column in workload.columns
    )


def report(workload, plan, result, plan_name):
    """Render one model's measurements as the text the demo prints.

    Args:
        workload (Workload): The model (:class:`.pipeline.Workload`).
        plan (Plan): What was measured (:class:`.pipeline.Plan`).
        result (dict): :attr:`.pipeline.Measurement.result`.
        plan_name (str): "full" or "quick".

    Returns:
        str: The report.
    """
    versions, kinds = result["stack"], [kind for kind, total in workload.totals.items() if total]
    headers = "  ".join(column.header for column in workload.columns)
    kernel_headers = "  ".join(f"{'oneDNN int8 ' + kind + 's':>19}" for kind in kinds)
    lines = [
        f"{workload.title} through INC's public API with the fixed observer factory: torch {versions['torch']}, "
        f"torchao {versions['torchao']}, INC {versions['INC']}; {result['threads']} threads; {plan_name} run",
        *workload.description,
        "int8: export (strict) -> prepare -> calibrate -> convert -> torch.compile (inductor, freezing), evaluated "
        f"at batch {plan.batch_sizes[-1]} against the fp32 model",
        "",
        f"{'config':<12}  {headers}  {kernel_headers}  calibration per batch",
    ]
    for label, figures in result["configs"].items():
        kernels = "  ".join(f"{figures['kernels'][kind]:>13}/{workload.totals[kind]:<5}" for kind in kinds)
        lines.append(
            f"{label:<12}  {_cells(workload, figures)}  {kernels}  {figures['calibration_ratio']:.2f}x an fp32 forward"
        )
    graphs = "one graph with a dynamic batch dimension" if workload.dynamic_batch else "one graph per batch size"
    lines += [
        "",
        f"latency of the compiled models ({graphs}), ms: median [first quartile, third quartile] of {plan.runs} runs "
        f"after {plan.warmup} warm-up runs, fp32 and the int8 models in turn, {result['threads']} threads, glibc malloc "
        + (", ".join(f"{name}={value}" for name, value in result["malloc"].items() if value is not None) or "defaults"),
        f"others: cores other processes kept busy during the runs; speed-up = fp32 median / int8 median, shown where "
        f"others is at most a tenth of the {result['cores']} cores and the interquartile ranges do not overlap",
        *latency.table(result["latency"], plan.configs, result["cores"]),
    ]
    if not result["variants"]:
        return "\n".join(lines)
    lines += [
        "",
        f"observers on INC's default config, eager int8 (QDQ) vs fp32, same calibration; stock INC {versions['INC']}: "
        "MovingAverageMinMaxObserver (constant 0.01) for activations, torch's eps 1.19e-07; fixed: MinMaxObserver, "
        "eps 2**-12",
        f"{'observers':<26}  {headers}",
    ]
    for label, figures in result["variants"].items():
        lines.append(f"{label:<26}  {_cells(workload, figures)}")
    return "\n".join(lines)
