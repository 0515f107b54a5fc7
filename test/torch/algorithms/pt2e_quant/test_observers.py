"""The observers of the lowered forms: per_tensor weights in per_channel form (WEIGHT_FORMS) and int8 activations in
uint8 form (ACTIVATION_FORMS) quantize to the same values as the setting asked for, and inductor lowers them."""

import re

import pytest
import torch
from torch._inductor.utils import run_and_get_code

from neural_compressor.torch.export import export
from neural_compressor.torch.quantization import StaticQuantConfig, convert, prepare
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import observers, pt2e_compat, support, utility

EPS = support.OBSERVER_EPS
# A oneDNN int8 conv or linear kernel call in inductor's generated code (weight packing excluded).
INT8_KERNEL_CALL = re.compile(r"\bonednn\.(qconv|qlinear)(?!_prepack)\w*\.\w+\(")


class ConvLinear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def _weight(seed):
    # Output channels of very different ranges: per_tensor and per_channel scales differ for all but one channel.
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(16, 24, generator=generator) * torch.logspace(-3, 0, 16).unsqueeze(1)


def _shared_scale_observer(tensor_observer):
    return observers.PerChannelSharedScaleObserver(
        observer=tensor_observer,
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0,
        eps=EPS,
    )


class TestSharedScaleObserver:
    def test_weight_forms_change_detector(self):
        assert utility.WEIGHT_FORMS == {torch.per_tensor_symmetric: torch.per_channel_symmetric}

    def test_refuses_a_qscheme_that_is_no_per_channel_form(self):
        with pytest.raises(ValueError, match="is not a per_channel form of a per_tensor qscheme"):
            observers.PerChannelSharedScaleObserver(
                pt2e_compat.MinMaxObserver, torch.int8, -128, 127, qscheme=torch.per_channel_affine
            )

    @pytest.mark.parametrize(
        "tensor_observer", [pt2e_compat.MinMaxObserver, pt2e_compat.HistogramObserver], ids=["minmax", "kl"]
    )
    def test_qparams_are_the_per_tensor_ones_once_per_channel(self, tensor_observer):
        weight = _weight(0)
        reference = tensor_observer(
            dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=torch.per_tensor_symmetric, eps=EPS
        )
        reference(weight)
        observer = _shared_scale_observer(tensor_observer)
        assert observer(weight) is weight
        scale, zero_point = observer.calculate_qparams()
        expected_scale, expected_zero_point = reference.calculate_qparams()
        assert torch.equal(scale, expected_scale.expand(16))
        assert torch.equal(zero_point, expected_zero_point.expand(16))
        assert (scale.dtype, zero_point.dtype) == (expected_scale.dtype, expected_zero_point.dtype)
        assert (observer.qscheme, observer.ch_axis, observer.quant_min, observer.quant_max) == (
            torch.per_channel_symmetric,
            0,
            -128,
            127,
        )

    def test_minmax_scale_is_the_largest_magnitude_over_127_5(self):
        weight = torch.tensor([[0.5, -2.55], [0.01, 0.02], [1.0, 0.0]])
        observer = _shared_scale_observer(pt2e_compat.MinMaxObserver)
        observer(weight)
        scale, zero_point = observer.calculate_qparams()
        assert torch.equal(scale, torch.full((3,), 2.55 / 127.5))
        assert zero_point.tolist() == [0, 0, 0]

    @pytest.mark.parametrize("seed", range(4))
    def test_same_int8_values_as_per_tensor(self, seed):
        weight = _weight(seed)
        observer = _shared_scale_observer(pt2e_compat.MinMaxObserver)
        observer(weight)
        scales, zero_points = observer.calculate_qparams()
        decomposed = torch.ops.quantized_decomposed
        per_channel = decomposed.quantize_per_channel(weight, scales, zero_points, 0, -128, 127, torch.int8)
        per_tensor = decomposed.quantize_per_tensor(weight, scales[0].item(), 0, -128, 127, torch.int8)
        assert torch.equal(per_channel, per_tensor)
        # max|w| / scale = 127.5: the largest magnitude lands on 127 or -128, the ends of the int8 range.
        assert per_channel.int().abs().amax().item() in (127, 128)
        dequantized = decomposed.dequantize_per_channel(per_channel, scales, zero_points, 0, -128, 127, torch.int8)
        assert torch.equal(
            dequantized, decomposed.dequantize_per_tensor(per_tensor, scales[0].item(), 0, -128, 127, torch.int8)
        )


def _uint8_form_observer(tensor_observer, qscheme):
    return observers.Uint8FormObserver(
        observer=tensor_observer, dtype=torch.uint8, quant_min=0, quant_max=255, qscheme=qscheme, eps=EPS
    )


class TestUint8FormObserver:
    def test_activation_forms_change_detector(self):
        assert utility.ACTIVATION_FORMS == {"int8": "uint8"}

    def test_refuses_a_stored_form_other_than_uint8(self):
        with pytest.raises(ValueError, match="the uint8 form is"):
            observers.Uint8FormObserver(pt2e_compat.MinMaxObserver, torch.int8, -128, 127)

    @pytest.mark.parametrize("qscheme", [torch.per_tensor_affine, torch.per_tensor_symmetric], ids=["affine", "sym"])
    @pytest.mark.parametrize(
        "tensor_observer", [pt2e_compat.MinMaxObserver, pt2e_compat.HistogramObserver], ids=["minmax", "kl"]
    )
    def test_qparams_are_the_int8_ones_with_the_zero_point_shifted_by_128(self, tensor_observer, qscheme):
        data = torch.randn(64, 16) * 3 + 1
        reference = tensor_observer(dtype=torch.int8, quant_min=-128, quant_max=127, qscheme=qscheme, eps=EPS)
        reference(data)
        observer = _uint8_form_observer(tensor_observer, qscheme)
        assert observer(data) is data
        scale, zero_point = observer.calculate_qparams()
        expected_scale, expected_zero_point = reference.calculate_qparams()
        assert torch.equal(scale, expected_scale)
        assert torch.equal(zero_point, expected_zero_point + 128)
        assert (observer.dtype, observer.quant_min, observer.quant_max, observer.qscheme) == (
            torch.uint8,
            0,
            255,
            qscheme,
        )

    def test_symmetric_zero_point_is_128_where_torchs_uint8_observer_says_127(self):
        data = torch.tensor([-2.55, 1.0, 2.0])
        observer = _uint8_form_observer(pt2e_compat.MinMaxObserver, torch.per_tensor_symmetric)
        observer(data)
        torch_uint8 = pt2e_compat.MinMaxObserver(
            dtype=torch.uint8, quant_min=0, quant_max=255, qscheme=torch.per_tensor_symmetric, eps=EPS
        )
        torch_uint8(data)
        assert observer.calculate_qparams()[1].tolist() == [128]
        assert torch_uint8.calculate_qparams()[1].tolist() == [127]

    @pytest.mark.parametrize("seed", range(4))
    @pytest.mark.parametrize("qscheme", [torch.per_tensor_affine, torch.per_tensor_symmetric], ids=["affine", "sym"])
    def test_dequantizes_to_the_floats_of_the_int8_form(self, qscheme, seed):
        generator = torch.Generator().manual_seed(seed)
        data = torch.randn(256, generator=generator) * 4 - 1
        observer = _uint8_form_observer(pt2e_compat.MinMaxObserver, qscheme)
        observer(data)
        scale, zero_point = (value.item() for value in observer.calculate_qparams())
        decomposed = torch.ops.quantized_decomposed
        as_uint8 = decomposed.quantize_per_tensor(data, scale, zero_point, 0, 255, torch.uint8)
        as_int8 = decomposed.quantize_per_tensor(data, scale, zero_point - 128, -128, 127, torch.int8)
        assert torch.equal(as_uint8.int() - 128, as_int8.int())
        assert torch.equal(
            decomposed.dequantize_per_tensor(as_uint8, scale, zero_point, 0, 255, torch.uint8),
            decomposed.dequantize_per_tensor(as_int8, scale, zero_point - 128, -128, 127, torch.int8),
        )


def _inc_per_tensor(model, example_inputs):
    prepared = prepare(
        export(model, example_inputs=example_inputs), quant_config=StaticQuantConfig(w_granularity="per_tensor")
    )
    prepared(*example_inputs)
    return convert(prepared)


def _qdq_with_specs(model, example_inputs, activation, weight):
    """The QDQ model of the X86 quantizer given these specs as they are, not in the forms the factory hands over."""
    quantizer = pt2e_compat.X86InductorQuantizer()
    quantizer.set_global(pt2e_compat.QuantizationConfig(activation, activation, weight, None, False))
    prepared = pt2e_compat.prepare_pt2e(export(model, example_inputs=example_inputs), quantizer)
    prepared(*example_inputs)
    return pt2e_compat.convert_pt2e(prepared)


def _per_tensor_spec_qdq(model, example_inputs):
    """The per_tensor QDQ model of the same setting, with the weight spec left per_tensor."""
    activation = utility.create_quant_spec_from_config("uint8", False, "per_tensor", "minmax")
    weight = utility.create_quant_spec_from_config("int8", True, "per_tensor", "minmax")
    assert weight.qscheme == torch.per_tensor_symmetric
    return _qdq_with_specs(model, example_inputs, activation, weight)


class TestPerTensorWeightsEndToEnd:
    def test_bit_identical_to_the_per_tensor_qdq_model(self):
        torch.manual_seed(0)
        model, example_inputs = ConvLinear().eval(), (torch.randn(4, 3, 8, 8),)
        with torch.no_grad():
            ours = _inc_per_tensor(model, example_inputs)(*example_inputs)
            reference = _per_tensor_spec_qdq(model, example_inputs)(*example_inputs)
        assert torch.equal(ours, reference)

    def test_inductor_lowers_them_like_per_channel_weights(self):
        torch.manual_seed(0)
        model, example_inputs = ConvLinear().eval(), (torch.randn(4, 3, 8, 8),)
        counts = {}
        for granularity in ("per_tensor", "per_channel"):
            prepared = prepare(
                export(model, example_inputs=example_inputs), quant_config=StaticQuantConfig(w_granularity=granularity)
            )
            prepared(*example_inputs)
            with torch._inductor.config.patch(freezing=True), torch.no_grad():
                _, code = run_and_get_code(torch.compile(convert(prepared)), *example_inputs)
            kinds = [match[1] for match in INT8_KERNEL_CALL.finditer("\n".join(code))]
            counts[granularity] = {"conv": kinds.count("qconv"), "linear": kinds.count("qlinear")}
        assert counts["per_tensor"] == counts["per_channel"]
        if pt2e_compat.PT2E_HOME == "torchao.quantization.pt2e":  # torch>=2.11: measured on 2.14.1
            assert counts["per_tensor"] == {"conv": 1, "linear": 1}


def _int8_form_qdq(model, example_inputs, act_sym):
    """The QDQ model of an int8 activation setting in its int8 form, with the specs the tables build."""
    activation = utility.create_quant_spec_from_config("int8", act_sym, "per_tensor", "minmax")
    weight = utility.create_quant_spec_from_config("int8", True, "per_channel", "minmax")
    return _qdq_with_specs(model, example_inputs, activation, weight)


class TestInt8ActivationsEndToEnd:
    @pytest.mark.parametrize("act_sym", [False, True], ids=["affine", "symmetric"])
    def test_uint8_form_gives_the_eager_output_of_the_int8_form(self, act_sym):
        torch.manual_seed(0)
        model, example_inputs = ConvLinear().eval(), (torch.randn(4, 3, 8, 8),)
        config = StaticQuantConfig(act_dtype="int8", act_sym=act_sym)
        prepared = prepare(export(model, example_inputs=example_inputs), quant_config=config)
        prepared(*example_inputs)
        ours = convert(prepared)
        quantize = [
            node
            for node in ours.graph.nodes
            if node.target == torch.ops.quantized_decomposed.quantize_per_tensor.default
        ]
        # The converted graph shows uint8 quantize nodes for the int8 setting.
        assert [node.args[-1] for node in quantize] == [torch.uint8, torch.uint8]
        with torch.no_grad():
            assert torch.equal(ours(*example_inputs), _int8_form_qdq(model, example_inputs, act_sym)(*example_inputs))
