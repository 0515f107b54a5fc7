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
"""The parts of the fix that live outside INC's ``pt2e_quant/utility.py`` upstream, for :mod:`.patch` to bind.

Upstream, the fix also edits INC's ``core.py`` (the quantizer without a config is the checked one; convert makes
dynamic ranges include 0) and ``half_precision_rewriter.py`` (it reads ``set_local`` entries as the factory does and
selects ops by name through ``pt2e_compat``). Released INC versions get the same behaviour from these functions,
bound into their modules at run time. :func:`requiring_applied_half_precision` exists for old releases only: INC
3.0.2 and 3.1.1 register no bf16 pattern, so a bf16 op config would silently run in fp32 there.
"""

import functools

import torch

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import module_name_filter
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import FLOAT_DTYPES, unsupported_setting
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.utility import split_local_configs
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.x86_quantizer import include_zero_in_dynamic_ranges

# The INC dtype names that INC's half-precision rewriter may apply, and their torch dtypes.
HALF_PRECISION_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def converting_with_zero_in_dynamic_ranges(convert):
    """Wrap INC's ``convert_pt2e`` so that the converted model's dynamic qparams compile right.

    Args:
        convert (Callable): ``convert_pt2e(model, ...)`` as INC's core module imported it.

    Returns:
        Callable: ``convert``, followed by :func:`.x86_quantizer.include_zero_in_dynamic_ranges` on its result.
    """

    @functools.wraps(convert)
    def run(model, *args, **kwargs):
        converted = convert(model, *args, **kwargs)
        include_zero_in_dynamic_ranges(converted)
        return converted

    return run


def _module_type_filter(module_type):
    """Return a node predicate: whether the node comes from a module of ``module_type``.

    torch.export records a module's type in ``nn_module_stack`` as the class, or as its (qualified) name.
    """
    spellings = {module_type, module_type.__name__, f"{module_type.__module__}.{module_type.__name__}"}
    return lambda node: any(kind in spellings for _, kind in node.meta.get("nn_module_stack", {}).values())


def read_half_precision_candidates(config, gm):
    """Return the nodes of ``gm`` that a ``set_local`` entry of ``config`` asks to run in fp16 or bf16.

    INC's half-precision rewriter reads the entries with this function's signature
    (``_parse_node_candidate_set_from_user_config``). Unlike INC's releases, it splits them as the quantizer factory
    does (an op name that INC also files under op types is an op name), skips an op type that ``torch.nn`` lacks
    instead of failing, and selects by op name with the predicate of the running PT2E home (INC 3.9 and 3.10 call
    ``xpq.get_module_name_filter``, which torch.ao's xnnpack quantizer lacks before torch 2.11).

    Args:
        config: The INC config.
        gm (torch.fx.GraphModule): The converted model.

    Returns:
        set[torch.fx.Node]: The candidate nodes.
    """
    op_type_configs, op_name_configs = split_local_configs(config)
    filters = [
        _module_type_filter(getattr(torch.nn, op_type))
        for op_type, local_config in op_type_configs.items()
        if local_config.act_dtype in HALF_PRECISION_DTYPES and isinstance(getattr(torch.nn, op_type, None), type)
    ]
    filters += [
        module_name_filter(op_name)
        for op_name, local_config in op_name_configs.items()
        if local_config.act_dtype in HALF_PRECISION_DTYPES
    ]
    return {node for node in gm.graph.nodes if any(belongs(node) for belongs in filters)}


def _check_half_precision_applied(config, registry, where=""):
    """Reject a half-precision dtype of an unquantized op config that INC's rewriter does not apply (see the module).

    A config that quantizes the op is left to the factory's checks.
    """
    fields = ("w_dtype", "act_dtype")
    if not all(getattr(config, field) in FLOAT_DTYPES for field in fields):
        return
    applied = (FLOAT_DTYPES[0], *(name for name, dtype in HALF_PRECISION_DTYPES.items() if registry.get(dtype)))
    for field in fields:
        value = getattr(config, field)
        if value not in applied:
            reason = f"INC's half-precision rewriter applies {', '.join(applied[1:])} only; the op would run in fp32"
            error = unsupported_setting(field, value, applied, reason)
            raise type(error)(f"{where}{error}")


def requiring_applied_half_precision(factory, registry):
    """Wrap an INC factory function so that it first rejects a half-precision dtype INC's rewriter does not apply.

    Args:
        factory (Callable): ``create_xiq_quantizer_from_pt2e_config`` or ``_map_inc_config_to_torch_quant_config``
            of the fixed utility, called as ``factory(config, ...)``.
        registry (dict): INC's ``HALF_PRECISION_PATTERN_REGISTRY``: torch dtype -> registered patterns.

    Returns:
        Callable: The factory, after a check of the config and every one of its ``set_local`` entries.
    """

    @functools.wraps(factory)
    def build(config, *args, **kwargs):
        _check_half_precision_applied(config, registry)
        for kind, entries in zip(("op type", "op name"), split_local_configs(config)):
            for key, local_config in entries.items():
                _check_half_precision_applied(local_config, registry, f"set_local {kind} {key!r}: ")
        return factory(config, *args, **kwargs)

    return build


__all__ = [
    "HALF_PRECISION_DTYPES",
    "converting_with_zero_in_dynamic_ranges",
    "read_half_precision_candidates",
    "requiring_applied_half_precision",
]
