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
"""Make an installed Intel Neural Compressor (INC) use this package's PT2E observer factory, and undo it.

Nothing is patched at import time: call :func:`apply_patch` (or use :func:`patched`). The patch rebinds

- the factory functions of INC's ``pt2e_quant.utility`` module, in it and in every INC module that imported them by
  name (``core``), to the fixed utility's;
- in INC's ``core``: ``X86InductorQuantizer`` (the quantizer built without a config) to the checked quantizer, and
  ``convert_pt2e`` to a convert whose dynamic ranges include 0 (:mod:`.backports`);
- the half-precision rewriter's reader of ``set_local`` entries to the fixed one (:mod:`.backports`);

and, on an INC whose rewriter registers no bf16 pattern (3.0.2, 3.1.1), makes the factory refuse a bf16 op config.
It keeps the original objects so that :func:`remove_patch` restores them exactly.
"""

import contextlib
import importlib
import sys
from importlib import metadata

_INC_PT2E = "neural_compressor.torch.algorithms.pt2e_quant"
_OURS = "neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant"
# Names INC's utility module has in every supported release (3.0.2 to 3.10), and in later releases only.
_REQUIRED_NAMES = (
    "create_quant_spec_from_config",
    "_map_inc_config_to_torch_quant_config",
    "create_xiq_quantizer_from_pt2e_config",
)
_OPTIONAL_NAMES = ("create_default_xiq_quantizer_config",)
# The factory functions that read a config's dtypes, and so must refuse one INC's rewriter does not apply.
_CONFIG_READERS = ("_map_inc_config_to_torch_quant_config", "create_xiq_quantizer_from_pt2e_config")
# Names of INC's core module that the patch rebinds there only (every release 3.0.2 to 3.10 imports them by name).
_CORE_NAMES = ("X86InductorQuantizer", "convert_pt2e")
# The function of INC's half-precision rewriter (every release 3.0.2 to 3.10) that reads a config's set_local entries.
_REWRITER_READER = "_parse_node_candidate_set_from_user_config"

# (module, attribute name) -> the original object, for every binding the patch replaced; empty when unpatched.
_originals = {}


class PatchError(ImportError):
    """INC is not installed, or its PT2E modules are not laid out as this patch expects."""


def inc_version():
    """Return the version of the installed INC distribution.

    Returns:
        str or None: The version of the distribution that provides ``neural_compressor`` (``neural-compressor-pt``
        or ``neural-compressor``), or None if there is none.
    """
    for distribution in metadata.packages_distributions().get("neural_compressor", []):
        return metadata.version(distribution)
    return None


def _import_inc_module(name):
    """Import one of INC's PT2E modules, turning a missing INC or a different layout into a PatchError.

    Args:
        name (str): The module name inside ``neural_compressor.torch.algorithms.pt2e_quant``.

    Returns:
        module: The imported module.

    Raises:
        PatchError: INC is missing, or has no such module.
    """
    try:
        return importlib.import_module(f"{_INC_PT2E}.{name}")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("neural_compressor"):
            raise
        version = inc_version()
        if version is None:
            raise PatchError(
                "Intel Neural Compressor is not installed: install neural-compressor-pt (3.0.2 to 3.10 are supported)"
            ) from exc
        raise PatchError(
            f"INC {version} has no module {_INC_PT2E}.{name}: the patch supports the PT2E layout of INC 3.0.2 to 3.10"
        ) from exc


def _replacements(inc_utility, inc_core, inc_rewriter):
    """Pair each INC object the patch replaces with its replacement.

    Args:
        inc_utility (module): INC's ``pt2e_quant.utility``.
        inc_core (module): INC's ``pt2e_quant.core``.
        inc_rewriter (module): INC's ``pt2e_quant.half_precision_rewriter``.

    Returns:
        tuple[dict, dict]: id(original) -> (original, replacement) for objects replaced wherever INC bound them, and
        attribute name of ``inc_core`` -> replacement for those replaced in ``core`` only.
    """
    from neural_compressor_pt2e_fix import backports

    utility = importlib.import_module(f"{_OURS}.utility")
    x86_quantizer = importlib.import_module(f"{_OURS}.x86_quantizer")
    registry = inc_rewriter.HALF_PRECISION_PATTERN_REGISTRY
    all_half_precision = all(registry.get(dtype) for dtype in backports.HALF_PRECISION_DTYPES.values())
    everywhere = {}
    for name in _REQUIRED_NAMES + tuple(name for name in _OPTIONAL_NAMES if hasattr(inc_utility, name)):
        ours = getattr(utility, name)
        if name in _CONFIG_READERS and not all_half_precision:
            ours = backports.requiring_applied_half_precision(ours, registry)
        everywhere[id(getattr(inc_utility, name))] = (getattr(inc_utility, name), ours)
    reader = getattr(inc_rewriter, _REWRITER_READER)
    everywhere[id(reader)] = (reader, backports.read_half_precision_candidates)
    in_core = {
        "X86InductorQuantizer": x86_quantizer.X86InductorQuantizerChecked,
        "convert_pt2e": backports.converting_with_zero_in_dynamic_ranges(inc_core.convert_pt2e),
    }
    return everywhere, in_core


def apply_patch():
    """Make the installed INC build its PT2E quantizers with this package's factory.

    Idempotent: a second call changes nothing.

    Raises:
        PatchError: INC is missing, or its PT2E modules are laid out differently from INC 3.0.2 to 3.10.
    """
    if _originals:
        return
    inc_utility = _import_inc_module("utility")
    inc_core = _import_inc_module("core")
    inc_rewriter = _import_inc_module("half_precision_rewriter")
    missing = [f"{_INC_PT2E}.utility.{name}" for name in _REQUIRED_NAMES if not hasattr(inc_utility, name)]
    missing += [f"{_INC_PT2E}.core.{name}" for name in _CORE_NAMES if not hasattr(inc_core, name)]
    if not hasattr(inc_rewriter, _REWRITER_READER):
        missing.append(f"{_INC_PT2E}.half_precision_rewriter.{_REWRITER_READER}")
    if missing:
        raise PatchError(
            f"INC {inc_version()} is laid out differently from INC 3.0.2 to 3.10: it lacks {', '.join(missing)}"
        )
    everywhere, in_core = _replacements(inc_utility, inc_core, inc_rewriter)
    for module in [module for name, module in sys.modules.items() if name.startswith("neural_compressor.")]:
        for attribute, value in list(vars(module).items()):
            original, replacement = everywhere.get(id(value), (None, None))
            if original is not None and value is original:
                _originals[module, attribute] = original
                setattr(module, attribute, replacement)
    for attribute, replacement in in_core.items():
        _originals[inc_core, attribute] = getattr(inc_core, attribute)
        setattr(inc_core, attribute, replacement)


def remove_patch():
    """Restore the exact objects that :func:`apply_patch` replaced.

    Does nothing if INC is not patched.
    """
    for (module, attribute), original in _originals.items():
        setattr(module, attribute, original)
    _originals.clear()


def is_patched():
    """Tell whether the patch is applied.

    Returns:
        bool: True between :func:`apply_patch` and :func:`remove_patch`.
    """
    return bool(_originals)


@contextlib.contextmanager
def patched():
    """Apply the patch for the duration of a ``with`` block.

    On exit the patch is removed, unless it was already applied on entry.

    Yields:
        None
    """
    was_patched = is_patched()
    apply_patch()
    try:
        yield
    finally:
        if not was_patched:
            remove_patch()
