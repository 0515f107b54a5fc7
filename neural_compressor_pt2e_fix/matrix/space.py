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
"""The settings ``inc-pt2e-fix matrix`` runs: the 71-setting space on the toy model and the cases of the zoo.

A setting is a dict of INC config field -> value (:data:`CONFIG_FIELDS`); its label is stable and short
(:func:`label`). A rejection is right only if its message names what the setting changes from INC's default, as
``field=value!r``: :func:`named_changes` and :meth:`ZooCase.named` list those texts.
"""

import itertools
from typing import NamedTuple

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor_pt2e_fix import zoo
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import support

# StaticQuantConfig fields, in INC's order: w_dtype, w_sym, w_granularity, w_algo, act_dtype, ...
CONFIG_FIELDS = tuple(role.prefix + field for role in support.SUPPORTED.values() for field in support.FIELDS)
# The field prefix of each role and its name in a label.
_LABEL_ROLES = (("w_", "w"), ("act_", "a"))
# Values outside every table of the factory, one per field kind, to see how each INC reports an unknown value.
_UNKNOWN_VALUES = {"w_dtype": "int4", "w_granularity": "per_group", "w_algo": "mse"}
# Float dtypes (of support.FLOAT_DTYPES) set for activations only: weights stay int8, so the op is half quantized.
_FLOAT_ACT_DTYPES = ("fp32", "bf16")
# The fields whose single changes the zoo runs: the rest are rejected alike on every model.
_ZOO_FIELDS = ("w_sym", "w_granularity", "act_dtype", "act_sym", "act_algo")


def default_setting():
    """Return INC's default StaticQuantConfig as a setting.

    Returns:
        dict: Field name -> value, for every field of :data:`CONFIG_FIELDS`.
    """
    config = StaticQuantConfig()
    return {field: getattr(config, field) for field in CONFIG_FIELDS}


def label(setting):
    """Return the stable short label of a setting.

    Args:
        setting (dict): Field name -> value.

    Returns:
        str: E.g. ``"w=int8/sym/per_channel/minmax a=uint8/asym/per_tensor/minmax"``.
    """
    parts = []
    for prefix, name in _LABEL_ROLES:
        values = {field: setting[prefix + field] for field in support.FIELDS}
        values["sym"] = "sym" if values["sym"] else "asym"
        parts.append(f"{name}=" + "/".join(map(str, values.values())))
    return " ".join(parts)


def named_changes(setting, default=None):
    """Return the ``field=value!r`` texts of the fields a setting changes from INC's default.

    Args:
        setting (dict): Field name -> value.
        default (dict, optional): INC's default setting; defaults to :func:`default_setting`.

    Returns:
        list[str]: E.g. ``["w_sym=False"]``; empty for INC's default.
    """
    default = default_setting() if default is None else default
    return [f"{field}={value!r}" for field, value in setting.items() if value != default[field]]


def settings():
    """Return the conformance space, the default first.

    The product of every value the factory's tables know for w_granularity, w_sym, w_algo, act_sym, act_algo and
    act_dtype (64 settings), then settings that change one field of the default: the other table values of w_dtype
    and act_granularity, unknown values, and float activation dtypes with int8 weights.

    Returns:
        list[dict]: The settings.
    """
    default = default_setting()

    def values(field, table_values):
        return [default[field]] + [value for value in table_values if value != default[field]]

    product_fields = {
        "w_granularity": support.GRANULARITIES,
        "w_sym": (True, False),
        "w_algo": support.STATIC_ALGOS,
        "act_dtype": tuple(support.DTYPES),
        "act_sym": (True, False),
        "act_algo": support.STATIC_ALGOS,
    }
    space = [
        {**default, **dict(zip(product_fields, combination))}
        for combination in itertools.product(*(values(field, table) for field, table in product_fields.items()))
    ]
    single_changes = [("w_dtype", value) for value in values("w_dtype", support.DTYPES)[1:]]
    single_changes += [("act_granularity", value) for value in values("act_granularity", support.GRANULARITIES)[1:]]
    single_changes += list(_UNKNOWN_VALUES.items())
    single_changes += [("act_dtype", value) for value in _FLOAT_ACT_DTYPES]
    return space + [{**default, field: value} for field, value in single_changes]


class ZooCase(NamedTuple):
    """One configuration run on each zoo model.

    Attributes:
        label (str): E.g. ``"default"``, ``"w_sym=False"``, ``"dynamic"``, ``"set_local fp32"``.
        kind (str): ``"static"`` (a StaticQuantConfig), ``"dynamic"`` (a DynamicQuantConfig) or ``"local"`` (INC's
            default StaticQuantConfig with a set_local that leaves one module in fp32).
        fields (dict): The config's keyword arguments.
    """

    label: str
    kind: str
    fields: dict

    def config(self, local):
        """Build the INC config of the case.

        Args:
            local (str): The module that a set_local case leaves in fp32 (:attr:`zoo.ZooModel.local`).

        Returns:
            StaticQuantConfig or DynamicQuantConfig: The config.
        """
        if self.kind == "dynamic":
            return DynamicQuantConfig(**self.fields)
        config = StaticQuantConfig(**self.fields)
        if self.kind == "local":
            fp32 = support.FLOAT_DTYPES[0]
            config.set_local(local, StaticQuantConfig(w_dtype=fp32, act_dtype=fp32))
        return config

    def named(self, local):
        """Return the ``field=value!r`` texts a rejection of the case may name: its changed fields, or what it sets.

        Args:
            local (str): As for :meth:`config`.

        Returns:
            list[str]: The texts.
        """
        if self.kind == "local":
            # By name; on torch<2.5, where no set_local is supported, the sorted list of every set_local name.
            return [f"set_local={local!r}", f"set_local=[{local!r}"]
        if self.kind == "dynamic":
            config = DynamicQuantConfig(**self.fields)
            return [f"{field}={getattr(config, field)!r}" for field in CONFIG_FIELDS]
        return [f"{field}={value!r}" for field, value in self.fields.items()]


def zoo_cases():
    """Return the cases run on each zoo model: INC's default, single changes, dynamic, set_local.

    The single changes set one field of :data:`_ZOO_FIELDS` in INC's default StaticQuantConfig to the first other
    value its table knows, so they cover settings the fix accepts and rejects; the other fields' rejections do not
    depend on the model and are covered by the toy model's space.

    Returns:
        list[ZooCase]: The cases.
    """
    default = default_setting()
    table = {"dtype": tuple(support.DTYPES), "sym": (True, False), "granularity": support.GRANULARITIES}
    table["algo"] = support.STATIC_ALGOS
    cases = [ZooCase("default", "static", {})]
    for field in _ZOO_FIELDS:
        value = next(item for item in table[field.split("_", 1)[1]] if item != default[field])
        cases.append(ZooCase(f"{field}={value!r}", "static", {field: value}))
    # DynamicQuantConfig's default (affine activations), then symmetric activations.
    cases.append(ZooCase("dynamic", "dynamic", {}))
    cases.append(ZooCase("dynamic act_sym=True", "dynamic", {"act_sym": True}))
    cases.append(ZooCase("set_local fp32", "local", {}))
    return cases


def zoo_models(models):
    """Resolve the ``--models`` argument to zoo model names.

    Args:
        models (str): Comma-separated names of :data:`zoo.MODELS`, "all" for every model whose requirements are
            installed, or "quick" for the models built into the zoo (:data:`zoo.QUICK`: small, no torchvision).

    Returns:
        list[str]: The names.

    Raises:
        ValueError: An unknown name, or a named model whose requirement is not installed.
    """
    if models == "all":
        return [name for name in zoo.MODELS if zoo.missing_requirement(name) is None]
    if models == "quick":
        return list(zoo.QUICK)
    names = [name.strip() for name in models.split(",") if name.strip()]
    for name in names:
        if name not in zoo.MODELS:
            raise ValueError(f"unknown model {name!r}; models: {', '.join(zoo.MODELS)}, quick or all")
        if zoo.missing_requirement(name) is not None:
            raise ValueError(f"model {name!r} needs {zoo.missing_requirement(name)}, which is not installed")
    return names
