"""The observer factory: the (algorithm, qscheme) table, the specs it builds and the validation in front of it."""

import itertools

import pytest
import torch
from packaging.version import Version

from neural_compressor.torch.quantization import DynamicQuantConfig, StaticQuantConfig
from neural_compressor.torch.quantization import config as inc_config
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant import (
    observers,
    pt2e_compat,
    support,
    utility,
    x86_quantizer,
)
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.utility import (
    _map_inc_config_to_torch_quant_config,
    create_default_xiq_quantizer_config,
    create_quant_spec_from_config,
    create_xiq_quantizer_from_pt2e_config,
)

EPS = 2**-12
ACT_DTYPES = ["uint8", "int8"]
ACT_DTYPES_TEXT = ", ".join(map(repr, ACT_DTYPES))
# The integer range of each quantized dtype.
RANGES = {torch.int8: (-128, 127), torch.uint8: (0, 255)}


def _expected(dtype, qscheme, observer, ch_axis=None, is_dynamic=False, observer_kwargs=None):
    """The fields a spec of the factory must have (see _spec_fields): by default, the observer gets eps=2**-12 only."""
    quant_min, quant_max = RANGES[dtype]
    return {
        "dtype": dtype,
        "quant_min": quant_min,
        "quant_max": quant_max,
        "qscheme": qscheme,
        "ch_axis": ch_axis,
        "is_dynamic": is_dynamic,
        "observer": observer,
        "observer_kwargs": {"eps": EPS} if observer_kwargs is None else observer_kwargs,
    }


# The spec fields of a dynamic uint8 affine activation: the placeholder observer, whatever the algorithm.
DYNAMIC_ACTIVATION = _expected(torch.uint8, torch.per_tensor_affine, pt2e_compat.PlaceholderObserver, is_dynamic=True)
# qscheme -> (granularity, sym), the inverse of the factory's table.
GRANULARITY_SYM = {qscheme: key for key, qscheme in support.QSCHEMES.items()}
# Every table entry the running torch can build: torch<2.5 converts no symmetric dynamic activation.
TABLE_ENTRIES = [
    (algo, qscheme, observer, dtype)
    for (algo, qscheme), observer in support.OBSERVERS.items()
    for dtype in support.DTYPES
    if support.SUPPORTS_DYNAMIC_SYMMETRIC or (algo, qscheme) != ("placeholder", torch.per_tensor_symmetric)
]
TABLE_IDS = [f"{algo}-{qscheme}-{dtype}" for algo, qscheme, _, dtype in TABLE_ENTRIES]


def _spec_for(algo, qscheme, dtype):
    granularity, sym = GRANULARITY_SYM[qscheme]
    return create_quant_spec_from_config(dtype, sym, granularity, algo, is_dynamic=algo == "placeholder")


def _observer(spec):
    """Instantiate the spec's observer with the arguments prepare_pt2e derives from the spec."""
    kwargs = dict(dtype=spec.dtype, qscheme=spec.qscheme, quant_min=spec.quant_min, quant_max=spec.quant_max)
    if spec.ch_axis is not None:
        kwargs["ch_axis"] = spec.ch_axis
    return spec.observer_or_fake_quant_ctr(**kwargs)


def _qparams(spec, *batches):
    observer = _observer(spec)
    for batch in batches:
        observer(batch)
    return observer.calculate_qparams()


def _spec_fields(spec):
    """A spec's fields by name, with the observer class and keyword arguments unwrapped from ``with_args``."""
    ctr = spec.observer_or_fake_quant_ctr
    return {
        "dtype": spec.dtype,
        "quant_min": spec.quant_min,
        "quant_max": spec.quant_max,
        "qscheme": spec.qscheme,
        "ch_axis": spec.ch_axis,
        "is_dynamic": spec.is_dynamic,
        "observer": ctr.p.func,
        "observer_kwargs": ctr.p.keywords,
    }


class TestObserverTable:
    def test_observer_table_change_detector(self):
        # A change of the table changes which observer calibrates a setting: review it against the docs.
        assert support.OBSERVERS == {
            ("minmax", torch.per_tensor_symmetric): pt2e_compat.MinMaxObserver,
            ("minmax", torch.per_tensor_affine): pt2e_compat.MinMaxObserver,
            ("minmax", torch.per_channel_symmetric): pt2e_compat.PerChannelMinMaxObserver,
            ("minmax", torch.per_channel_affine): pt2e_compat.PerChannelMinMaxObserver,
            ("kl", torch.per_tensor_symmetric): pt2e_compat.HistogramObserver,
            ("kl", torch.per_tensor_affine): pt2e_compat.HistogramObserver,
            ("placeholder", torch.per_tensor_symmetric): pt2e_compat.PlaceholderObserver,
            ("placeholder", torch.per_tensor_affine): pt2e_compat.PlaceholderObserver,
        }
        assert support.QSCHEMES == {
            ("per_tensor", True): torch.per_tensor_symmetric,
            ("per_tensor", False): torch.per_tensor_affine,
            ("per_channel", True): torch.per_channel_symmetric,
            ("per_channel", False): torch.per_channel_affine,
        }

    def test_observers_come_from_the_pt2e_home_of_the_running_torch(self):
        torchao_home = Version(torch.__version__.split("+")[0]) >= Version("2.11")
        module = "torchao.quantization.pt2e.observer" if torchao_home else "torch.ao.quantization.observer"
        assert {observer.__module__ for observer in support.OBSERVERS.values()} == {module}

    @pytest.mark.parametrize("algo, qscheme, observer, dtype", TABLE_ENTRIES, ids=TABLE_IDS)
    def test_spec_of_each_entry(self, algo, qscheme, observer, dtype):
        spec = _spec_for(algo, qscheme, dtype)
        granularity, _ = GRANULARITY_SYM[qscheme]
        torch_dtype = {"int8": torch.int8, "uint8": torch.uint8}[dtype]
        ch_axis = 0 if granularity == "per_channel" else None
        assert _spec_fields(spec) == _expected(
            torch_dtype, qscheme, observer, ch_axis, is_dynamic=algo == "placeholder"
        )
        assert type(_observer(spec)) is observer

    # Hand-computed qparams. Per tensor, x = [-25.5, 0, 51, 102]:
    #   symmetric: scale = max|x| / ((quant_max - quant_min) / 2) = 102 / 127.5 = 0.8;
    #              zero_point = 0 for int8, (0 + 255) // 2 = 127 for uint8.
    #   affine:    scale = (102 - -25.5) / 255 = 0.5; zero_point = quant_min - round(-25.5 / 0.5) = quant_min + 51.
    # Per channel, rows [-25.5, 102] and [0, 63.75]: row 0 as above; row 1 symmetric 63.75 / 127.5 = 0.5,
    # affine (63.75 - 0) / 255 = 0.25 with zero_point = quant_min.
    @pytest.mark.parametrize(
        "dtype, sym, granularity, scale, zero_point",
        [
            ("int8", True, "per_tensor", [0.8], [0]),
            ("uint8", True, "per_tensor", [0.8], [127]),
            ("int8", False, "per_tensor", [0.5], [-77]),
            ("uint8", False, "per_tensor", [0.5], [51]),
            ("int8", True, "per_channel", [0.8, 0.5], [0, 0]),
            ("uint8", True, "per_channel", [0.8, 0.5], [127, 127]),
            ("int8", False, "per_channel", [0.5, 0.25], [-77, -128]),
            ("uint8", False, "per_channel", [0.5, 0.25], [51, 0]),
        ],
        ids=lambda value: str(value) if isinstance(value, list) else None,
    )
    def test_minmax_qparams_by_hand(self, dtype, sym, granularity, scale, zero_point):
        data = torch.tensor([-25.5, 0.0, 51.0, 102.0])
        if granularity == "per_channel":
            data = torch.tensor([[-25.5, 102.0], [0.0, 63.75]])
        got_scale, got_zero_point = _qparams(create_quant_spec_from_config(dtype, sym, granularity, "minmax"), data)
        assert got_scale.tolist() == torch.tensor(scale).tolist()
        assert got_zero_point.tolist() == zero_point

    @pytest.mark.parametrize("dtype, sym, scale, zero_point", [("int8", True, 0.8, 0), ("uint8", False, 0.5, 51)])
    def test_kl_qparams_within_two_histogram_bins_of_the_range(self, dtype, sym, scale, zero_point):
        # HistogramObserver picks its range among the edges of a 2048-bin histogram over [-25.5, 102], so its
        # scale may fall below the min/max scale by up to two bins of (102 + 25.5) / 2048 each, spread over the
        # quantized range (127.5 steps symmetric, 255 affine); the zero point stays the hand-computed one.
        data = torch.tensor([-25.5, 0.0, 51.0, 102.0]).repeat(64)
        got_scale, got_zero_point = _qparams(create_quant_spec_from_config(dtype, sym, "per_tensor", "kl"), data)
        steps = 127.5 if sym else 255
        assert scale - 2 * 127.5 / 2048 / steps <= got_scale.item() <= scale
        assert got_zero_point.tolist() == [zero_point]

    @pytest.mark.parametrize(
        "algo, qscheme, observer, dtype",
        [entry for entry in TABLE_ENTRIES if entry[0] != "placeholder"],
        ids=[name for name in TABLE_IDS if not name.startswith("placeholder")],
    )
    def test_eps_is_the_floor_of_every_scale(self, algo, qscheme, observer, dtype):
        # An all-zero tensor has no range: the scale is eps, 2**-12 as in torchao's X86 default config
        # (torch's default eps would give 1.19e-07).
        data = torch.zeros(2, 4)
        scale, _ = _qparams(_spec_for(algo, qscheme, dtype), data)
        assert scale.tolist() == [EPS] * scale.numel()

    @pytest.mark.parametrize("granularity", ["per_tensor", "per_channel"])
    def test_minmax_is_batch_order_invariant(self, granularity):
        first, second = torch.tensor([[-1.0, 3.0], [0.5, 2.0]]), torch.tensor([[-4.0, 1.0], [0.25, 8.0]])
        spec = create_quant_spec_from_config("int8", True, granularity, "minmax")
        forward, backward = _qparams(spec, first, second), _qparams(spec, second, first)
        assert [t.tolist() for t in forward] == [t.tolist() for t in backward]
        # The range is the union of both batches: max|x| = 8 per tensor; per channel (rows) 4 and 8.
        assert forward[0].tolist() == (
            [torch.tensor(8 / 127.5).item()]
            if granularity == "per_tensor"
            else [torch.tensor(4 / 127.5).item(), torch.tensor(8 / 127.5).item()]
        )

    def test_dynamic_forces_the_placeholder_observer(self):
        spec = create_quant_spec_from_config("uint8", False, "per_tensor", "kl", is_dynamic=True)
        assert _spec_fields(spec) == DYNAMIC_ACTIVATION

    @pytest.mark.skipif(support.SUPPORTS_DYNAMIC_SYMMETRIC, reason="torch>=2.5 converts symmetric dynamic")
    def test_symmetric_dynamic_is_rejected_where_convert_fails(self):
        with pytest.raises(ValueError) as info:
            create_quant_spec_from_config("uint8", True, "per_tensor", "minmax", is_dynamic=True)
        assert str(info.value) == (
            f"sym=True is not supported: the convert_pt2e of torch {torch.__version__} fails on symmetric dynamic "
            "activations (it looks for the affine choose_qparams only); they need torch>=2.5.0. Valid values: "
            "False. Fix: set sym=False."
        )


class TestSpecValidation:
    def test_message_names_field_value_valid_values_and_fix(self):
        with pytest.raises(ValueError) as info:
            create_quant_spec_from_config("int4", True, "per_tensor", "minmax")
        assert str(info.value) == (
            "dtype='int4' is not supported: unknown dtype. Valid values: 'int8', 'uint8'. "
            "Fix: set dtype to one of the valid values."
        )

    @pytest.mark.parametrize(
        "args, is_dynamic, error, expected",
        [
            (("int4", True, "per_tensor", "minmax"), False, ValueError, "dtype='int4' is not supported: unknown dtype"),
            (("fp32", True, "per_tensor", "minmax"), False, ValueError, "dtype='fp32' is not supported"),
            (
                ("int8", True, "per_group", "minmax"),
                False,
                ValueError,
                "granularity='per_group' is not supported: unknown granularity. "
                "Valid values: 'per_tensor', 'per_channel'",
            ),
            (
                ("int8", True, "per_tensor", "mse"),
                False,
                ValueError,
                "algo='mse' is not supported: unknown algo. Valid values: 'minmax', 'kl'",
            ),
            (
                ("int8", True, "per_channel", "kl"),
                False,
                ValueError,
                "algo='kl' is not supported: its observer, HistogramObserver, serves granularity='per_tensor' only, "
                "not 'per_channel'. Valid values: 'minmax'. Fix: set algo='minmax', or granularity='per_tensor' to "
                "keep 'kl'.",
            ),
            (
                ("uint8", False, "per_tensor", "placeholder"),
                False,
                ValueError,
                "algo='placeholder' is not supported: it computes no qparams and serves dynamic quantization only. "
                "Valid values: 'minmax', 'kl'",
            ),
            (
                ("uint8", False, "per_channel", "minmax"),
                True,
                ValueError,
                "granularity='per_channel' is not supported: dynamic quantization observes activations per tensor. "
                "Valid values: 'per_tensor'",
            ),
            (("int8", "yes", "per_tensor", "minmax"), False, TypeError, "sym='yes' is not supported: expected a bool"),
            (("int8", 1, "per_tensor", "minmax"), False, TypeError, "sym=1 is not supported: expected a bool, got int"),
            (
                (torch.int8, True, "per_tensor", "minmax"),
                False,
                TypeError,
                "dtype=torch.int8 is not supported: expected a str, got dtype. Valid values: 'int8', 'uint8'",
            ),
            (("int8", True, ["per_tensor"], "minmax"), False, TypeError, "granularity=['per_tensor'] is not supported"),
            (("int8", True, "per_tensor", None), False, TypeError, "algo=None is not supported: expected a str"),
        ],
        ids=lambda value: "-".join(map(str, value)) if isinstance(value, tuple) else None,
    )
    def test_rejects_outside_the_tables(self, args, is_dynamic, error, expected):
        with pytest.raises(error) as info:
            create_quant_spec_from_config(*args, is_dynamic=is_dynamic)
        assert type(info.value) is error
        assert expected in str(info.value)


# Settings through INC's config, with the field the message must name and the valid values it must list.
REJECTED_CONFIGS = [
    (dict(w_sym=False), "w_sym=False", "Valid values: True."),
    (dict(w_sym=False, w_granularity="per_tensor"), "w_sym=False", "Valid values: True."),
    (dict(w_algo="kl"), "w_algo='kl'", "Valid values: 'minmax'."),
    (dict(act_granularity="per_channel"), "act_granularity='per_channel'", "Valid values: 'per_tensor'."),
    (dict(act_granularity="per_channel", act_sym=True), "act_granularity='per_channel'", "Valid values: 'per_tensor'."),
    (dict(w_dtype="uint8"), "w_dtype='uint8'", "Valid values: 'int8'."),
    (dict(w_dtype="int4"), "w_dtype='int4'", "Valid values: 'int8'."),
    (dict(act_dtype="int4"), "act_dtype='int4'", f"Valid values: {ACT_DTYPES_TEXT}."),
    (dict(w_granularity="per_group"), "w_granularity='per_group'", "Valid values: 'per_tensor', 'per_channel'."),
    (dict(w_algo="mse"), "w_algo='mse'", "Valid values: 'minmax', 'kl'."),
    (dict(act_algo="mse"), "act_algo='mse'", "Valid values: 'minmax', 'kl'."),
    (dict(act_algo="placeholder"), "act_algo='placeholder'", "Valid values: 'minmax', 'kl'."),
    (dict(act_dtype="fp32"), "act_dtype='fp32'", f"Valid values: {ACT_DTYPES_TEXT}."),
    (dict(act_dtype="bf16"), "act_dtype='bf16'", f"Valid values: {ACT_DTYPES_TEXT}."),
    (dict(w_dtype="fp16"), "w_dtype='fp16'", "Valid values: 'int8'."),
]


class TestConfigValidation:
    @pytest.mark.parametrize(
        "fields, named, valid", REJECTED_CONFIGS, ids=[" ".join(map(str, f.items())) for f, *_ in REJECTED_CONFIGS]
    )
    def test_rejects_with_field_value_valid_values_and_fix(self, fields, named, valid):
        with pytest.raises(ValueError) as info:
            _map_inc_config_to_torch_quant_config(StaticQuantConfig(**fields))
        message = str(info.value)
        assert message.startswith(f"{named} is not supported: ")
        assert valid in message
        assert "Fix: " in message

    def test_asymmetric_weights_say_why(self):
        with pytest.raises(ValueError, match="per_channel affine weights forced through it compile to wrong results"):
            _map_inc_config_to_torch_quant_config(StaticQuantConfig(w_sym=False))

    def test_mixed_float_and_int_dtypes_name_both_fields(self):
        with pytest.raises(ValueError) as info:
            _map_inc_config_to_torch_quant_config(StaticQuantConfig(act_dtype="fp32"))
        assert str(info.value) == (
            "act_dtype='fp32' is not supported: w_dtype='int8' quantizes the op, and the X86 backend quantizes the "
            "weights and activations of an op together (there is no weight-only or activation-only static int8). "
            f"Valid values: {ACT_DTYPES_TEXT}. Fix: set act_dtype to a valid value, or w_dtype to one of fp32, "
            "fp16, bf16 as well to leave the op unquantized."
        )

    @pytest.mark.parametrize(
        "fields",
        [dict(w_sym="True"), dict(act_sym=0), dict(w_algo=["minmax", "kl"])],
        ids=["w_sym", "act_sym", "w_algo"],
    )
    def test_wrong_types_are_type_errors(self, fields):
        with pytest.raises(TypeError, match=f"{next(iter(fields))}=.* is not supported: expected a"):
            _map_inc_config_to_torch_quant_config(StaticQuantConfig(**fields))

    @pytest.mark.parametrize("w_dtype, act_dtype", list(itertools.product(support.FLOAT_DTYPES, repeat=2)))
    def test_float_dtypes_leave_the_op_unquantized(self, w_dtype, act_dtype):
        assert _map_inc_config_to_torch_quant_config(StaticQuantConfig(w_dtype=w_dtype, act_dtype=act_dtype)) is None


ACCEPTED_WEIGHTS = [("per_channel", "minmax"), ("per_tensor", "minmax"), ("per_tensor", "kl")]
ACCEPTED_ACTIVATIONS = list(itertools.product(ACT_DTYPES, [False, True], ["minmax", "kl"]))


class TestConfigMapping:
    @pytest.mark.parametrize("w_granularity, w_algo", ACCEPTED_WEIGHTS)
    @pytest.mark.parametrize("act_dtype, act_sym, act_algo", ACCEPTED_ACTIVATIONS)
    def test_accepted_static_settings_get_the_lowered_form_of_their_spec(
        self, w_granularity, w_algo, act_dtype, act_sym, act_algo
    ):
        config = StaticQuantConfig(
            w_granularity=w_granularity, w_algo=w_algo, act_dtype=act_dtype, act_sym=act_sym, act_algo=act_algo
        )
        quant_config = _map_inc_config_to_torch_quant_config(config)
        act_qscheme = torch.per_tensor_symmetric if act_sym else torch.per_tensor_affine
        act_observer = pt2e_compat.MinMaxObserver if act_algo == "minmax" else pt2e_compat.HistogramObserver
        # An int8 activation is handed over as uint8, its int8 observer wrapped (ACTIVATION_FORMS).
        expected_activation = (
            _expected(torch.uint8, act_qscheme, act_observer)
            if act_dtype == "uint8"
            else _expected(
                torch.uint8,
                act_qscheme,
                observers.Uint8FormObserver,
                observer_kwargs={"observer": act_observer, "eps": EPS},
            )
        )
        assert _spec_fields(quant_config.input_activation) == expected_activation
        assert quant_config.output_activation is quant_config.input_activation
        # A per_tensor weight is handed over in per_channel form, its per_tensor observer wrapped (WEIGHT_FORMS).
        w_observer, w_keywords = {
            ("per_channel", "minmax"): (pt2e_compat.PerChannelMinMaxObserver, {"eps": EPS}),
            ("per_tensor", "minmax"): (
                observers.PerChannelSharedScaleObserver,
                {"observer": pt2e_compat.MinMaxObserver, "eps": EPS},
            ),
            ("per_tensor", "kl"): (
                observers.PerChannelSharedScaleObserver,
                {"observer": pt2e_compat.HistogramObserver, "eps": EPS},
            ),
        }[w_granularity, w_algo]
        assert _spec_fields(quant_config.weight) == _expected(
            torch.int8, torch.per_channel_symmetric, w_observer, 0, observer_kwargs=w_keywords
        )
        assert quant_config.bias is None
        assert quant_config.is_qat is False

    def test_default_config_equals_incs_default_static_config(self):
        default = create_default_xiq_quantizer_config()
        mapped = _map_inc_config_to_torch_quant_config(StaticQuantConfig())
        for field in ("input_activation", "output_activation", "weight"):
            assert _spec_fields(getattr(default, field)) == _spec_fields(getattr(mapped, field))
        assert (default.bias, default.is_qat) == (None, False)

    def test_kl_activations_give_torchaos_x86_default_config_field_by_field(self):
        # StaticQuantConfig(act_algo="kl") is torchao's (and torch.ao's) default X86 config, eps included.
        ours = _map_inc_config_to_torch_quant_config(StaticQuantConfig(act_algo="kl"))
        reference = pt2e_compat.xiq.get_default_x86_inductor_quantization_config()
        for field in ("input_activation", "output_activation", "weight"):
            assert _spec_fields(getattr(ours, field)) == _spec_fields(getattr(reference, field))
        assert (ours.bias, ours.is_qat) == (reference.bias, reference.is_qat)

    def test_default_dynamic_config_equals_incs_default_dynamic_config(self):
        default = create_default_xiq_quantizer_config(is_dynamic=True)
        mapped = _map_inc_config_to_torch_quant_config(DynamicQuantConfig(), is_dynamic=True)
        assert _spec_fields(default.input_activation) == _spec_fields(mapped.input_activation) == DYNAMIC_ACTIVATION

    @pytest.mark.parametrize("act_sym", [False, True], ids=["affine", "symmetric"])
    def test_dynamic_int8_activations_are_the_uint8_spec(self, act_sym):
        # The run-time choose_qparams gives uint8 the int8 scale and the int8 zero point plus 128: no wrapper needed.
        if act_sym and not support.SUPPORTS_DYNAMIC_SYMMETRIC:
            pytest.skip("torch<2.5 converts no symmetric dynamic")
        int8 = _map_inc_config_to_torch_quant_config(DynamicQuantConfig(act_dtype="int8", act_sym=act_sym), True)
        uint8 = _map_inc_config_to_torch_quant_config(DynamicQuantConfig(act_sym=act_sym), is_dynamic=True)
        assert _spec_fields(int8.input_activation) == _spec_fields(uint8.input_activation)
        assert int8.input_activation.dtype == torch.uint8

    @pytest.mark.skipif(not support.SUPPORTS_DYNAMIC_SYMMETRIC, reason="torch<2.5 converts no symmetric dynamic")
    def test_symmetric_dynamic_config_specs(self):
        quant_config = _map_inc_config_to_torch_quant_config(DynamicQuantConfig(act_sym=True), is_dynamic=True)
        assert _spec_fields(quant_config.input_activation) == _expected(
            torch.uint8, torch.per_tensor_symmetric, pt2e_compat.PlaceholderObserver, is_dynamic=True
        )
        assert _spec_fields(quant_config.weight) == _expected(
            torch.int8,
            torch.per_channel_symmetric,
            observers.PerChannelSharedScaleObserver,
            0,
            observer_kwargs={"observer": pt2e_compat.MinMaxObserver, "eps": EPS},
        )


class TestQuantizerFromConfig:
    def test_global_config_goes_to_the_checked_quantizer(self):
        quantizer = create_xiq_quantizer_from_pt2e_config(StaticQuantConfig())
        assert type(quantizer) is x86_quantizer.X86InductorQuantizerChecked
        weight = _spec_fields(quantizer.global_config.weight)
        assert (weight["qscheme"], weight["ch_axis"]) == (torch.per_channel_symmetric, 0)

    @pytest.mark.skipif(not support.SUPPORTS_LOCAL_CONFIG, reason="set_local needs torch>=2.5")
    @pytest.mark.parametrize("ipex_imported", [False, True], ids=["ipex_not_imported", "ipex_imported"])
    def test_set_local_by_name_and_type(self, ipex_imported, monkeypatch):
        # With IPEX imported (INC<3.2: always) INC files an op name under op types as well: it stays an op name.
        monkeypatch.setattr(inc_config, "is_ipex_imported", lambda: ipex_imported)
        by_name = StaticQuantConfig(w_dtype="fp32", act_dtype="fp32")
        by_type = StaticQuantConfig(w_granularity="per_tensor")
        config = StaticQuantConfig()
        config.set_local("fc1", by_name)
        config.set_local(torch.nn.Linear, by_type)
        assert utility.split_local_configs(config) == ({"Linear": by_type}, {"fc1": by_name})
        quantizer = create_xiq_quantizer_from_pt2e_config(config)
        assert quantizer.module_name_qconfig == {"fc1": None}
        assert list(quantizer.operator_type_qconfig) == [torch.ops.aten.linear.default]
        weight = _spec_fields(quantizer.operator_type_qconfig[torch.ops.aten.linear.default].weight)
        assert (weight["qscheme"], weight["ch_axis"], weight["observer"], weight["observer_kwargs"]) == (
            torch.per_channel_symmetric,
            0,
            observers.PerChannelSharedScaleObserver,
            {"observer": pt2e_compat.MinMaxObserver, "eps": EPS},
        )

    @pytest.mark.skipif(not support.SUPPORTS_LOCAL_CONFIG, reason="set_local needs torch>=2.5")
    def test_set_local_of_a_type_the_x86_quantizer_cannot_configure(self):
        config = StaticQuantConfig()
        config.set_local(torch.nn.MaxPool3d, StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        with pytest.raises(ValueError) as info:
            create_xiq_quantizer_from_pt2e_config(config)
        message = str(info.value)
        assert message.startswith("set_local op type='MaxPool3d' is not supported: ")
        assert "'Conv2d'" in message and "'Linear'" in message and "Fix: set_local by op name instead." in message

    @pytest.mark.skipif(support.SUPPORTS_LOCAL_CONFIG, reason="torch>=2.5 supports set_local")
    def test_set_local_on_torch_without_per_name_configs(self):
        config = StaticQuantConfig()
        config.set_local("fc1", StaticQuantConfig(w_dtype="fp32", act_dtype="fp32"))
        with pytest.raises(ValueError) as info:
            create_xiq_quantizer_from_pt2e_config(config)
        assert str(info.value).startswith("set_local=['fc1'")
        assert str(info.value).endswith(
            f"torch {torch.__version__} takes no config per op name. "
            "Fix: upgrade to torch>=2.5, or remove the set_local calls."
        )

    @pytest.mark.skipif(not support.SUPPORTS_LOCAL_CONFIG, reason="set_local needs torch>=2.5")
    @pytest.mark.parametrize(
        "op, entry, error",
        [
            ("fc1", "set_local op name 'fc1': w_sym=False is not supported: ", ValueError),
            (torch.nn.Linear, "set_local op type 'Linear': w_sym=False is not supported: ", ValueError),
            ("fc1", "set_local op name 'fc1': w_sym='no' is not supported: expected a bool", TypeError),
        ],
        ids=["by_name", "by_type", "type_error"],
    )
    def test_an_error_of_a_local_config_names_its_entry(self, op, entry, error):
        config = StaticQuantConfig()
        config.set_local(op, StaticQuantConfig(w_sym="no" if error is TypeError else False))
        with pytest.raises(error) as info:
            create_xiq_quantizer_from_pt2e_config(config)
        assert type(info.value) is error
        assert str(info.value).startswith(entry)
