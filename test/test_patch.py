"""The runtime patch: it rebinds INC's factory functions, core's quantizer and convert, and the rewriter's reader,
exactly and reversibly."""

import subprocess
import sys
import textwrap

import pytest
import torch
from packaging.version import Version

import neural_compressor_pt2e_fix
from neural_compressor.torch.algorithms.pt2e_quant import core as inc_core
from neural_compressor.torch.algorithms.pt2e_quant import half_precision_rewriter as inc_rewriter
from neural_compressor.torch.algorithms.pt2e_quant import utility as inc_utility
from neural_compressor_pt2e_fix import PatchError, apply_patch, backports, is_patched, patch, patched, remove_patch
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import utility as fixed_utility
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import x86_quantizer

INC_VERSION = Version(patch.inc_version())
FACTORY_NAMES = [
    "create_quant_spec_from_config",
    "_map_inc_config_to_torch_quant_config",
    "create_xiq_quantizer_from_pt2e_config",
] + (["create_default_xiq_quantizer_config"] if hasattr(inc_utility, "create_default_xiq_quantizer_config") else [])
# The half-precision rewriter's reader of set_local entries, which the patch replaces.
READER = "_parse_node_candidate_set_from_user_config"
# The names the patch rebinds in INC's core only.
CORE_NAMES = ["X86InductorQuantizer", "convert_pt2e"]
# Whether the installed INC's rewriter applies bf16 (INC 3.0.2 and 3.1.1 register fp16 only).
APPLIES_BF16 = bool(inc_rewriter.HALF_PRECISION_PATTERN_REGISTRY.get(torch.bfloat16))


def _bindings():
    """INC's current bindings of the factory names, in utility and in core, of core's names and of the reader."""
    names = [(inc_utility, name) for name in FACTORY_NAMES]
    names += [(inc_core, name) for name in FACTORY_NAMES + CORE_NAMES if hasattr(inc_core, name)]
    names.append((inc_rewriter, READER))
    return {(module.__name__, name): getattr(module, name) for module, name in names}


@pytest.fixture(autouse=True)
def unpatched():
    assert not is_patched(), "a previous test left INC patched"
    originals = _bindings()
    yield originals
    remove_patch()
    assert _bindings() == originals


# The factory names INC's core imports from utility, read in each release's wheel (`pip download --no-deps
# neural-compressor-pt==X`, pt2e_quant/core.py). create_default_xiq_quantizer_config first appears in 3.8.1, in
# utility and core alike.
_CORE_IMPORTS = {"create_xiq_quantizer_from_pt2e_config"}
CORE_IMPORTS = {
    **dict.fromkeys(["3.0.2", "3.1", "3.1.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8"], _CORE_IMPORTS),
    **dict.fromkeys(["3.8.1", "3.9", "3.10"], _CORE_IMPORTS | {"create_default_xiq_quantizer_config"}),
}


@pytest.mark.skipif(str(INC_VERSION) not in CORE_IMPORTS, reason=f"INC {INC_VERSION}'s wheel was not read")
def test_the_supported_layouts():
    expected_core = CORE_IMPORTS[str(INC_VERSION)]
    assert {name for name in FACTORY_NAMES if hasattr(inc_core, name)} == expected_core
    assert ("create_default_xiq_quantizer_config" in FACTORY_NAMES) == (
        "create_default_xiq_quantizer_config" in expected_core
    )


def test_apply_rebinds_utility_core_and_the_reader(unpatched):
    apply_patch()
    assert is_patched()
    for (module, name), original in unpatched.items():
        current = sys.modules[module].__dict__[name]
        assert current is not original
        if name == READER:
            assert current is backports.read_half_precision_candidates
        elif name == "X86InductorQuantizer":
            assert current is x86_quantizer.X86InductorQuantizerChecked
        elif name == "convert_pt2e":
            assert current.__wrapped__ is original
        elif APPLIES_BF16 or name not in patch._CONFIG_READERS:
            assert current is getattr(fixed_utility, name)
        else:
            assert current.__wrapped__ is getattr(fixed_utility, name)


def test_apply_is_idempotent():
    apply_patch()
    first = _bindings()
    apply_patch()
    assert _bindings() == first
    remove_patch()
    assert not is_patched()


def test_remove_restores_the_original_objects(unpatched):
    apply_patch()
    remove_patch()
    assert not is_patched()
    for (module, name), original in unpatched.items():
        assert sys.modules[module].__dict__[name] is original


def test_remove_without_apply_changes_nothing(unpatched):
    remove_patch()
    assert _bindings() == unpatched


def test_context_manager(unpatched):
    with patched():
        assert is_patched()
        current = inc_core.create_xiq_quantizer_from_pt2e_config
        # Where INC's rewriter applies fp16 only, the fixed function is wrapped by a check of half-precision dtypes.
        assert getattr(current, "__wrapped__", current) is fixed_utility.create_xiq_quantizer_from_pt2e_config
    assert not is_patched()
    assert _bindings() == unpatched


def test_context_manager_keeps_an_earlier_patch():
    apply_patch()
    with patched():
        assert is_patched()
    assert is_patched()


def test_context_manager_removes_the_patch_on_error(unpatched):
    with pytest.raises(RuntimeError, match="inside"):
        with patched():
            raise RuntimeError("inside")
    assert _bindings() == unpatched


def test_nothing_is_patched_at_import():
    code = "import neural_compressor_pt2e_fix as fix; print(fix.is_patched())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_public_names():
    assert neural_compressor_pt2e_fix.__all__ == [
        "PatchError",
        "__version__",
        "apply_patch",
        "is_patched",
        "patched",
        "remove_patch",
    ]
    assert Version(neural_compressor_pt2e_fix.__version__) >= Version("0.1.0")


def test_a_different_layout_is_refused_naming_the_inc_version(monkeypatch, unpatched):
    monkeypatch.delattr(inc_utility, "_map_inc_config_to_torch_quant_config")
    with pytest.raises(PatchError) as info:
        apply_patch()
    assert str(info.value) == (
        f"INC {INC_VERSION} is laid out differently from INC 3.0.2 to 3.10: it lacks "
        "neural_compressor.torch.algorithms.pt2e_quant.utility._map_inc_config_to_torch_quant_config"
    )
    assert not is_patched()


def test_a_rewriter_without_its_reader_is_refused(monkeypatch, unpatched):
    monkeypatch.delattr(inc_rewriter, READER)
    with pytest.raises(PatchError) as info:
        apply_patch()
    assert str(info.value) == (
        f"INC {INC_VERSION} is laid out differently from INC 3.0.2 to 3.10: it lacks "
        f"neural_compressor.torch.algorithms.pt2e_quant.half_precision_rewriter.{READER}"
    )
    assert not is_patched()


def test_a_core_without_convert_pt2e_is_refused(monkeypatch, unpatched):
    monkeypatch.delattr(inc_core, "convert_pt2e")
    with pytest.raises(PatchError, match="it lacks neural_compressor.torch.algorithms.pt2e_quant.core.convert_pt2e$"):
        apply_patch()
    assert not is_patched()


def _run_isolated(code):
    """Run code in a fresh interpreter, so that import failures can be simulated without touching this one."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True)


def test_missing_inc_is_refused():
    result = _run_isolated("""
        import sys
        sys.modules["neural_compressor"] = None  # import neural_compressor now raises ModuleNotFoundError
        from importlib import metadata
        metadata.packages_distributions = lambda: {}
        import neural_compressor_pt2e_fix as fix
        try:
            fix.apply_patch()
        except fix.PatchError as error:
            print(error)
        """)
    assert result.stdout.strip() == (
        "Intel Neural Compressor is not installed: install neural-compressor-pt (3.0.2 to 3.10 are supported)"
    ), result.stderr


def test_missing_pt2e_module_is_refused_naming_the_inc_version():
    result = _run_isolated("""
        import sys
        sys.modules["neural_compressor.torch.algorithms.pt2e_quant.utility"] = None
        import neural_compressor_pt2e_fix as fix
        try:
            fix.apply_patch()
        except fix.PatchError as error:
            print(error)
        """)
    assert result.stdout.strip() == (
        f"INC {INC_VERSION} has no module neural_compressor.torch.algorithms.pt2e_quant.utility: the patch "
        "supports the PT2E layout of INC 3.0.2 to 3.10"
    ), result.stderr


def _quantize_linear_with_default_config():
    from neural_compressor.torch.export import export
    from neural_compressor.torch.quantization import StaticQuantConfig, convert, prepare

    torch.manual_seed(0)
    model, example_inputs = torch.nn.Linear(5, 5).eval(), (torch.randn(3, 5),)
    prepared = prepare(export(model, example_inputs=example_inputs), quant_config=StaticQuantConfig())
    prepared(*example_inputs)
    q_model = convert(prepared)
    return model(*example_inputs), q_model(*example_inputs)


@pytest.mark.skipif(INC_VERSION != Version("3.0.2"), reason="INC issue #1984 is the seed stack's (INC 3.0.2)")
def test_inc_issue_1984_fails_stock_and_passes_patched():
    with pytest.raises(NotImplementedError, match="^MinMaxObserver's qscheme only support torch.per_tensor_symmetric"):
        _quantize_linear_with_default_config()
    with patched():
        reference, quantized = _quantize_linear_with_default_config()
    # One int8 step of the output (range ~2) is ~8e-3; the error stays within it.
    torch.testing.assert_close(quantized, reference, rtol=0, atol=1e-2)


def _two_linear_config(fields, local=None):
    from neural_compressor.torch.quantization import StaticQuantConfig

    config = StaticQuantConfig(**fields)
    if local is not None:
        config.set_local("fc1", StaticQuantConfig(**local))
    return config


@pytest.mark.parametrize(
    "fields, local, message",
    [
        (dict(w_dtype="bf16", act_dtype="bf16"), None, "w_dtype='bf16' is not supported: "),
        (dict(w_dtype="fp32", act_dtype="bf16"), None, "act_dtype='bf16' is not supported: "),
        ({}, dict(w_dtype="bf16", act_dtype="bf16"), "set_local op name 'fc1': w_dtype='bf16' is not supported: "),
    ],
    ids=["global", "activations", "local"],
)
def test_bf16_is_refused_where_incs_rewriter_applies_fp16_only(monkeypatch, fields, local, message):
    # INC 3.0.2 and 3.1.1 register no bf16 pattern: simulate them on any INC, before the patch reads the registry.
    monkeypatch.setitem(inc_rewriter.HALF_PRECISION_PATTERN_REGISTRY, torch.bfloat16, {})
    config = _two_linear_config(fields, local)
    with patched(), pytest.raises(ValueError) as info:
        inc_core.create_xiq_quantizer_from_pt2e_config(config)
    assert str(info.value) == (
        f"{message}INC's half-precision rewriter applies fp16 only; the op would run in fp32. Valid values: 'fp32', "
        f"'fp16'. Fix: set {message.split(' is not')[0].split(': ')[-1].split('=')[0]} to one of the valid values."
    )


@pytest.mark.skipif(not APPLIES_BF16, reason="the installed INC's rewriter registers no bf16 pattern")
def test_bf16_is_accepted_where_incs_rewriter_applies_it():
    with patched():
        quantizer = inc_core.create_xiq_quantizer_from_pt2e_config(
            _two_linear_config({}, dict(w_dtype="bf16", act_dtype="bf16"))
        )
    assert quantizer.module_name_qconfig == {"fc1": None}
