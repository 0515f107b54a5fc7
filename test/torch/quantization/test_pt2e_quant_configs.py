"""INC's public PT2E API with the fixed factory: accepted settings end to end, rejected settings before annotation."""

import itertools

import pytest
import torch
from torch._inductor import config as inductor_config

from neural_compressor.torch.algorithms.pt2e_quant import half_precision_rewriter
from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor.torch.quantization import config as inc_config
from neural_compressor.torch.quantization import convert, load, prepare
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import pt2e_compat, support

# Quantization error bound: the int8 output's SQNR against fp32. These models measure 38-42 dB with every
# accepted setting; a wrong scheme or a broken observer falls far below.
MIN_SQNR_DB = 30.0
# Compiled against eager: inductor requantizes inside oneDNN kernels where eager runs QDQ in fp32, so a value at a
# rounding tie may land one int8 step apart; at the last layer's input that moves an output by at most its input
# scale x max|weight|, below 2e-3 for these models. Measured: <= 3.3e-7. Affine per_channel weights forced through
# inductor miss by 1.5-3.75.
COMPILED_ATOL = 2e-3


class ConvPoolLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


class TwoLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.fixture(autouse=True)
def force_not_import_ipex(monkeypatch):
    # As in INC's test_pt2e_quant.py: with IPEX imported, INC sends static configs to its IPEX backend, not PT2E.
    def _is_ipex_imported():
        return False

    monkeypatch.setattr("neural_compressor.torch.quantization.config.is_ipex_imported", _is_ipex_imported)
    monkeypatch.setattr("neural_compressor.torch.quantization.algorithm_entry.is_ipex_imported", _is_ipex_imported)
    monkeypatch.setattr("neural_compressor.torch.export.pt2e_export.is_ipex_imported", _is_ipex_imported)


@pytest.fixture(autouse=True)
def static_by_default(monkeypatch):
    # INC 3.0.2 sets W8A8PT2EQuantizer.is_dynamic for a dynamic run and never resets it (INC 3.10 does), which
    # would turn every later static prepare in this process into a dynamic one.
    from neural_compressor.torch.algorithms.pt2e_quant import core

    monkeypatch.setattr(core.W8A8PT2EQuantizer, "is_dynamic", False)


def _model(name):
    torch.manual_seed(0)
    if name == "conv_pool_linear":
        return ConvPoolLinear().eval(), (torch.randn(4, 3, 16, 16),)
    return TwoLinear().eval(), (torch.randn(8, 16),)


def _quantize(model, example_inputs, config, batches=None):
    prepared = prepare(export(model, example_inputs=example_inputs), quant_config=config)
    for batch in batches or [example_inputs]:
        prepared(*batch)
    return convert(prepared)


def _sqnr_db(reference, output):
    return (10 * torch.log10(reference.pow(2).sum() / (reference - output).pow(2).sum())).item()


def _count(graph_module, target_names):
    names = [str(node.target) for node in graph_module.graph.nodes if node.op == "call_function"]
    return {target: names.count(target) for target in target_names}


def _accepted(role):
    """The (dtype, sym, granularity, algo) settings the factory accepts for a role, from its tables."""
    dtypes, qschemes = support.SUPPORTED[role].dtypes, support.SUPPORTED[role].qschemes
    return [
        (dtype, sym, granularity, algo)
        for dtype, ((granularity, sym), qscheme), algo in itertools.product(
            dtypes, support.QSCHEMES.items(), support.STATIC_ALGOS
        )
        if qscheme in qschemes and (algo, qscheme) in support.OBSERVERS
    ]


def _config(weight, activation):
    fields = dict(zip(("w_dtype", "w_sym", "w_granularity", "w_algo"), weight))
    fields.update(zip(("act_dtype", "act_sym", "act_granularity", "act_algo"), activation))
    return StaticQuantConfig(**fields)


ACCEPTED = [
    (name, weight, activation)
    for name in ("conv_pool_linear", "two_linear")
    for weight, activation in itertools.product(_accepted("weight"), _accepted("activation"))
]
ACCEPTED_IDS = [f"{name}-w={'/'.join(map(str, weight))}-a={'/'.join(map(str, act))}" for name, weight, act in ACCEPTED]


def test_the_accepted_space_has_3_weight_and_8_activation_settings():
    # Weights: per_channel minmax, per_tensor minmax, per_tensor kl. Activations: (uint8, int8) x sym x algo.
    assert len(_accepted("weight")) == 3
    assert len(_accepted("activation")) == 8
    assert len(ACCEPTED) == 2 * 3 * 8


class TestAccepted:
    @pytest.mark.parametrize("name, weight, activation", ACCEPTED, ids=ACCEPTED_IDS)
    def test_eager_compiled_and_saved(self, name, weight, activation, tmp_path):
        model, example_inputs = _model(name)
        q_model = _quantize(model, example_inputs, _config(weight, activation))
        with torch.no_grad():
            reference, eager = model(*example_inputs), q_model(*example_inputs)
            assert _sqnr_db(reference, eager) >= MIN_SQNR_DB
            torch._dynamo.reset()
            with inductor_config.patch(freezing=True):
                compiled = torch.compile(q_model)(*example_inputs)
        torch.testing.assert_close(compiled, eager, rtol=0, atol=COMPILED_ATOL)

        q_model.save(example_inputs=example_inputs, output_dir=str(tmp_path))
        loaded = load(str(tmp_path))
        assert torch.equal(loaded(*example_inputs), eager)

    @pytest.mark.parametrize(
        "w_granularity, quantize_per_channel, quantize_per_tensor", [("per_channel", 2, 2), ("per_tensor", 2, 2)]
    )
    def test_node_counts(self, w_granularity, quantize_per_channel, quantize_per_tensor):
        # conv_pool_linear: both weights (conv, fc) and both activation inputs (x into conv, the pooled map into fc)
        # are quantized; the weights in per_channel form either way (per_tensor: one scale repeated, WEIGHT_FORMS).
        model, example_inputs = _model("conv_pool_linear")
        q_model = _quantize(model, example_inputs, StaticQuantConfig(w_granularity=w_granularity))
        q, dq = "quantized_decomposed.quantize_per_", "quantized_decomposed.dequantize_per_"
        targets = [f"{op}{kind}.default" for op in (q, dq) for kind in ("channel", "tensor")]
        assert _count(q_model, targets) == {
            f"{q}channel.default": quantize_per_channel,
            f"{dq}channel.default": quantize_per_channel,
            f"{q}tensor.default": quantize_per_tensor,
            f"{dq}tensor.default": quantize_per_tensor,
        }

    @pytest.mark.skipif(not support.SUPPORTS_DYNAMIC_SYMMETRIC, reason="torch<2.5 converts no symmetric dynamic")
    @pytest.mark.parametrize("granularity", ["per_tensor", "per_channel"])
    def test_dynamic(self, granularity):
        model, example_inputs = _model("two_linear")
        q_model = _quantize(model, example_inputs, DynamicQuantConfig(w_granularity=granularity, act_sym=True))
        assert _count(q_model, ["quantized_decomposed.choose_qparams_symmetric.tensor"]) == {
            "quantized_decomposed.choose_qparams_symmetric.tensor": 2
        }
        with torch.no_grad():
            reference, eager = model(*example_inputs), q_model(*example_inputs)
            assert _sqnr_db(reference, eager) >= MIN_SQNR_DB
            torch._dynamo.reset()
            compiled = torch.compile(q_model)(*example_inputs)
        torch.testing.assert_close(compiled, eager, rtol=0, atol=COMPILED_ATOL)

    def test_minmax_calibration_is_batch_order_invariant(self):
        model, example_inputs = _model("conv_pool_linear")
        batches = [(torch.randn(4, 3, 16, 16) * scale,) for scale in (0.5, 1.0, 3.0)]
        forward = _quantize(model, example_inputs, StaticQuantConfig(), batches)
        backward = _quantize(model, example_inputs, StaticQuantConfig(), batches[::-1])
        assert torch.equal(forward(*example_inputs), backward(*example_inputs))

    def test_bit_exact_with_the_x86_default_config(self):
        # StaticQuantConfig(act_algo="kl") is the X86 quantizer's default config, eps included. The input spans
        # ~0.01, so its scale is the eps floor 2**-12, where torch's default eps (1.19e-7) would give another result.
        model, example_inputs = _model("conv_pool_linear")
        example_inputs = (example_inputs[0] * 1e-3,)
        ours = prepare(export(model, example_inputs=example_inputs), quant_config=StaticQuantConfig(act_algo="kl"))
        ours(*example_inputs)
        ours = convert(ours)
        quantizer = pt2e_compat.X86InductorQuantizer()
        quantizer.set_global(pt2e_compat.xiq.get_default_x86_inductor_quantization_config())
        reference = pt2e_compat.prepare_pt2e(export(model, example_inputs=example_inputs), quantizer)
        reference(*example_inputs)
        reference = pt2e_compat.convert_pt2e(reference, fold_quantize=False)
        assert torch.equal(ours(*example_inputs), reference(*example_inputs))


# The half-precision dtypes that the installed INC's rewriter applies; it registers no bf16 pattern before INC 3.3.
HALF_PRECISION = [
    name
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16))
    if half_precision_rewriter.HALF_PRECISION_PATTERN_REGISTRY.get(dtype)
]


@pytest.mark.skipif(not support.SUPPORTS_LOCAL_CONFIG, reason="set_local needs torch>=2.5")
class TestSetLocal:
    @pytest.mark.parametrize("op", ["fc1", torch.nn.Linear], ids=["op_name", "op_type"])
    def test_fp32_by_op_name_and_type(self, op):
        model, example_inputs = _model("two_linear")
        config = StaticQuantConfig()
        config.set_local(op, StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        q_model = _quantize(model, example_inputs, config)
        # By name only fc1 stays fp32: fc2's input and weight are quantized. By type both linears stay fp32.
        quantized = 1 if op == "fc1" else 0
        assert _count(
            q_model,
            ["quantized_decomposed.quantize_per_tensor.default", "quantized_decomposed.quantize_per_channel.default"],
        ) == {
            "quantized_decomposed.quantize_per_tensor.default": quantized,
            "quantized_decomposed.quantize_per_channel.default": quantized,
        }

    @pytest.mark.parametrize("ipex_imported", [False, True], ids=["ipex_not_imported", "ipex_imported"])
    def test_dynamic_fp32_by_op_name(self, ipex_imported, monkeypatch):
        # With IPEX imported (INC<3.2: always) INC files "fc1" under op types as well; it stays an op name, and INC's
        # half-precision rewriter does not look it up in torch.nn at convert.
        monkeypatch.setattr(inc_config, "is_ipex_imported", lambda: ipex_imported)
        model, example_inputs = _model("two_linear")
        config = DynamicQuantConfig(act_sym=True)
        config.set_local("fc1", DynamicQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        q_model = _quantize(model, example_inputs, config)
        # What fc1 and fc2 (in graph order) read as weight: the fp32 parameter (get_attr), or a dequantized int8 one.
        weights = [
            node.args[1].op if node.args[1].op == "get_attr" else str(node.args[1].target)
            for node in q_model.graph.nodes
            if node.target == torch.ops.aten.linear.default
        ]
        assert weights == ["get_attr", "quantized_decomposed.dequantize_per_channel.default"]

    @pytest.mark.parametrize("half", HALF_PRECISION)
    @pytest.mark.parametrize("ipex_imported", [False, True], ids=["ipex_not_imported", "ipex_imported"])
    def test_half_precision_by_op_name(self, half, ipex_imported, monkeypatch):
        # Dynamic: with IPEX imported INC sends static configs to its IPEX backend.
        monkeypatch.setattr(inc_config, "is_ipex_imported", lambda: ipex_imported)
        model, example_inputs = _model("two_linear")
        config = DynamicQuantConfig(act_sym=True)
        config.set_local("fc1", DynamicQuantConfig(w_dtype=half, act_dtype=half))
        q_model = _quantize(model, example_inputs, config)
        # fc1 runs in half precision (4 casts around it), fc2 in int8: its weight and input are quantized.
        assert _count(
            q_model,
            [
                "quantized_decomposed.quantize_per_channel.default",
                "quantized_decomposed.choose_qparams_symmetric.tensor",
            ]
            + ["aten.to.dtype"],
        ) == {
            "quantized_decomposed.quantize_per_channel.default": 1,
            "quantized_decomposed.choose_qparams_symmetric.tensor": 1,
            "aten.to.dtype": 4,
        }

    @pytest.mark.parametrize("half", HALF_PRECISION)
    def test_half_precision_linears_beside_int8_conv(self, half):
        model, example_inputs = _model("conv_pool_linear")
        config = StaticQuantConfig()
        config.set_local(torch.nn.Linear, StaticQuantConfig(w_dtype=half, act_dtype=half))
        q_model = _quantize(model, example_inputs, config)
        # The conv keeps its int8 weight and input; INC's rewriter wraps the linear in 4 casts (input, weight,
        # bias to half, output back to fp32).
        assert _count(
            q_model,
            ["quantized_decomposed.quantize_per_channel.default", "quantized_decomposed.quantize_per_tensor.default"]
            + ["aten.to.dtype"],
        ) == {
            "quantized_decomposed.quantize_per_channel.default": 1,
            "quantized_decomposed.quantize_per_tensor.default": 1,
            "aten.to.dtype": 4,
        }
        with torch.no_grad():
            torch._dynamo.reset()
            compiled = torch.compile(q_model)(*example_inputs)
            eager = q_model(*example_inputs)
        torch.testing.assert_close(compiled, eager, rtol=0, atol=1e-2)


@pytest.fixture
def prepare_pt2e_calls(monkeypatch):
    """Record the calls INC's PT2E quantizer makes to prepare_pt2e (which annotates and inserts observers)."""
    from neural_compressor.torch.algorithms.pt2e_quant import core

    calls = []
    original = core.prepare_pt2e

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(core, "prepare_pt2e", spy)
    return calls


# Settings rejected before the quantizer annotates anything, with the start of the message.
REJECTED_BEFORE_ANNOTATION = [
    (dict(w_sym=False), "w_sym=False is not supported: "),
    (dict(w_sym=False, w_granularity="per_tensor"), "w_sym=False is not supported: "),
    (dict(w_algo="kl"), "w_algo='kl' is not supported: "),
    (dict(act_granularity="per_channel"), "act_granularity='per_channel' is not supported: "),
    (dict(w_dtype="uint8"), "w_dtype='uint8' is not supported: "),
    (dict(w_dtype="int4"), "w_dtype='int4' is not supported: "),
    (dict(act_dtype="fp32"), "act_dtype='fp32' is not supported: "),
    (dict(act_algo="mse"), "act_algo='mse' is not supported: "),
]


class TestRejected:
    @pytest.mark.parametrize(
        "fields, message",
        REJECTED_BEFORE_ANNOTATION,
        ids=[",".join(f"{key}={value}" for key, value in fields.items()) for fields, _ in REJECTED_BEFORE_ANNOTATION],
    )
    def test_before_annotation(self, fields, message, prepare_pt2e_calls):
        model, example_inputs = _model("conv_pool_linear")
        exported = export(model, example_inputs=example_inputs)
        with pytest.raises(ValueError) as info:
            prepare(exported, quant_config=StaticQuantConfig(**fields))
        assert str(info.value).startswith(message)
        assert prepare_pt2e_calls == []

    @pytest.mark.skipif(not support.SUPPORTS_LOCAL_CONFIG, reason="set_local needs torch>=2.5")
    def test_set_local_name_that_matches_no_module_before_observation(self, prepare_pt2e_calls):
        model, example_inputs = _model("two_linear")
        config = StaticQuantConfig()
        config.set_local("fc3", StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        exported = export(model, example_inputs=example_inputs)
        with pytest.raises(ValueError) as info:
            prepare(exported, quant_config=config)
        assert str(info.value) == (
            "set_local op name='fc3' is not supported: no module of the exported model has that name; the closest are "
            "'fc2', 'fc1'. Fix: pass the name of a module of the model, as model.named_modules() spells it."
        )
        # Raised by the quantizer's validate(), which prepare_pt2e calls after annotating and before observing.
        assert len(prepare_pt2e_calls) == 1
        assert not any("activation_post_process" in name for name, _ in exported.named_modules())

    @pytest.mark.skipif(support.SUPPORTS_LOCAL_CONFIG, reason="torch>=2.5 supports set_local")
    def test_set_local_on_torch_without_per_name_configs(self, prepare_pt2e_calls):
        model, example_inputs = _model("two_linear")
        config = StaticQuantConfig()
        config.set_local("fc1", StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        with pytest.raises(ValueError, match=r"^set_local=\['fc1'"):
            prepare(export(model, example_inputs=example_inputs), quant_config=config)
        assert prepare_pt2e_calls == []
