import collections
import dataclasses
import importlib.util
import io
import math
import os
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neural_compressor.torch.quantization import DynamicQuantConfig
from neural_compressor_pt2e_fix import cli, demo
from neural_compressor_pt2e_fix.demo import latency, metrics, pipeline, progress, quantization, report, runner
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.stack_probes import dynamic_affine_compiles_right


def needs(*models, modules=()):
    """Skip unless the demo's optional modules for some models are installed, naming the missing distributions."""
    missing = demo.missing_requirements(models) if models else []
    missing += [name for name in modules if importlib.util.find_spec(name) is None]
    return pytest.mark.skipif(bool(missing), reason=f"needs the demo's optional dependencies: {', '.join(missing)}")


needs_photos = needs(modules=("skimage", "matplotlib"))
needs_demo = needs(*demo.MODELS)


class TestMetrics:
    def test_top1_agreement_in_percent(self):
        reference = torch.tensor([[9.0, 1.0, 0.0], [0.0, 9.0, 1.0], [0.0, 1.0, 9.0], [1.0, 9.0, 0.0]])
        approximation = torch.tensor([[5.0, 4.0, 0.0], [0.0, 5.0, 4.0], [0.0, 5.0, 4.0], [0.0, 9.0, 1.0]])
        assert metrics.top1_agreement(reference, approximation) == 75.0

    def test_fake_quantize_per_tensor_uses_the_largest_magnitude(self):
        # max|w| = 127.5 -> scale 1: 127.5 rounds to 128 and clamps to 127, 63.75 rounds to 64, 0.3 to 0.
        weight = torch.tensor([[127.5, 1.0], [63.75, 0.3]])
        quantized = metrics.fake_quantize_int8(weight, per_channel=False)
        assert torch.equal(quantized, torch.tensor([[127.0, 1.0], [64.0, 0.0]]))

    def test_fake_quantize_per_channel_scales_each_output_channel(self):
        # Channel 1: max|w| = 63.75 -> scale 0.5: 63.75 -> 127 steps (clamped) = 63.5, 0.3 -> 1 step = 0.5.
        weight = torch.tensor([[127.5, 1.0], [63.75, 0.3]])
        quantized = metrics.fake_quantize_int8(weight, per_channel=True)
        assert torch.equal(quantized, torch.tensor([[127.0, 1.0], [63.5, 0.5]]))

    def test_all_zero_channel_stays_zero(self):
        assert metrics.symmetric_int8_scale(torch.tensor([0.0, 255.0])).tolist() == [2**-12, 2.0]
        quantized = metrics.fake_quantize_int8(torch.tensor([[0.0, 0.0], [127.5, -2.0]]), per_channel=True)
        assert torch.equal(quantized, torch.tensor([[0.0, 0.0], [127.0, -2.0]]))

    def test_weight_sqnr_per_channel_beats_per_tensor_on_unequal_channels(self):
        weight = torch.tensor([[127.5, 1.0], [63.75, 0.3]])
        # Noise per_tensor: 0.5**2 + 0.25**2 + 0.3**2; per_channel: 0.5**2 + 0.25**2 + 0.2**2.
        signal = 127.5**2 + 1.0 + 63.75**2 + 0.09
        assert metrics.weight_sqnr_db(weight, per_channel=False) == pytest.approx(10 * math.log10(signal / 0.4025))
        assert metrics.weight_sqnr_db(weight, per_channel=True) == pytest.approx(10 * math.log10(signal / 0.3525))

    def test_count_int8_kernels_counts_onednn_calls_only(self):
        code = "\n".join(
            [
                "buf1 = torch.ops.onednn.qconv_pointwise.tensor(buf0, x_scale, x_zp, _frozen_param250)",
                "buf2 = torch.ops.onednn.qconv2d_pointwise.binary_tensor(buf1, x_scale_0, x_zp_0)",
                "buf3 = torch.ops.onednn.qconv_pointwise.default(buf2, 0.02, 0)",
                "buf4 = torch.ops.onednn.qlinear_pointwise.tensor(buf3, x_scale_1, x_zp_1)",
                "buf5 = torch.ops.mkldnn._convolution_pointwise.default(buf4, _frozen_param1)",
                "buf6 = torch.ops.aten.convolution(buf5, _frozen_param2, None, [1, 1])",
                "packed = torch.ops.onednn.qconv_prepack.default(weight, scales)",
                "# onednn.qconv_pointwise is named here without a call",
            ]
        )
        assert metrics.count_int8_kernels(code) == {"conv": 3, "linear": 1}


class TestMissingRequirements:
    def test_cli_names_what_to_install(self, monkeypatch, capsys, tmp_path):
        monkeypatch.setitem(demo.REQUIREMENTS, "no_such_demo_module", "no-such-demo-dist")
        missing = demo.missing_requirements()
        assert "no-such-demo-dist" in missing
        assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 1
        assert capsys.readouterr().err == (
            f"inc-pt2e-fix demo: error: ModuleNotFoundError: the demo needs {', '.join(missing)}: "
            f"pip install {' '.join(missing)}\n"
        )

    def test_only_the_chosen_models_requirements_count(self, monkeypatch, capsys, tmp_path):
        minilm = demo.MODELS["minilm"]
        monkeypatch.setitem(demo.MODELS, "minilm", minilm._replace(requirements={"no_such_module": "no-such-dist"}))
        assert "no-such-dist" not in demo.missing_requirements(["efficientnet-lite0"])
        assert demo.missing_requirements(["minilm"])[-1] == "no-such-dist"
        assert cli.main(["demo", "--model", "minilm", "--out", str(tmp_path)]) == 1
        assert capsys.readouterr().err.endswith(" no-such-dist\n")

    def test_model_choices(self, capsys):
        with pytest.raises(SystemExit):
            cli.main(["demo", "--model", "resnet"])
        # Python 3.12 quotes the choices, 3.11 does not.
        pattern = r"invalid choice: 'resnet' \(choose from '?efficientnet-lite0'?, '?minilm'?, '?all'?\)"
        assert re.search(pattern, capsys.readouterr().err)


@needs_photos
class TestPhotos:
    def test_every_photo_loads_offline_as_rgb_uint8(self, monkeypatch):
        from neural_compressor_pt2e_fix.demo import photos

        def refuse(*args, **kwargs):
            raise AssertionError("the demo's photos must not need the network")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        for name in photos.PHOTOS:
            image = photos.load_photo(name)
            assert image.dtype == torch.uint8
            assert image.shape[0] == 3 and min(image.shape[1:]) >= photos.IMAGE_SIZE
        camera = photos.load_photo("camera")  # a grey photo: three equal channels
        assert torch.equal(camera[0], camera[1]) and torch.equal(camera[1], camera[2])

    def test_calibration_and_evaluation_photos_are_disjoint_and_cover_all(self):
        from neural_compressor_pt2e_fix.demo import photos

        assert set(photos.CALIBRATION_PHOTOS).isdisjoint(photos.EVALUATION_PHOTOS)
        assert set(photos.CALIBRATION_PHOTOS) | set(photos.EVALUATION_PHOTOS) == set(photos.PHOTOS)

    def test_crop_boxes_of_a_square_photo(self):
        from neural_compressor_pt2e_fix.demo import photos

        boxes = photos.crop_boxes(512, 512)
        # Short side 224: 1 position; 288: 2x2; 352: 3x3; 448: 3x3; each as is and mirrored.
        assert len(boxes) == 2 * (1 + 4 + 9 + 9)
        assert len(set(boxes)) == len(boxes)
        assert all(top + 224 <= height and left + 224 <= width for height, width, top, left, _ in boxes)
        assert {(height, width) for height, width, *_ in boxes} == {(224, 224), (288, 288), (352, 352), (448, 448)}

    def test_normalise_maps_pixels_to_minus_one_one(self):
        from neural_compressor_pt2e_fix.demo import photos

        assert photos.normalise(torch.tensor([0, 127, 255])).tolist() == [-127 / 128, 0.0, 1.0]

    def test_crops_shape_dtype_range_and_interleaving(self):
        from neural_compressor_pt2e_fix.demo import photos

        images, sources = photos.crops(photos.CALIBRATION_PHOTOS, 16)
        assert images.shape == (16, 3, 224, 224) and images.dtype == torch.float32
        assert images.min().item() >= -127 / 128 and images.max().item() <= 1.0
        assert images.std().item() > 0.1  # photos, not a constant
        assert sources == list(photos.CALIBRATION_PHOTOS) * 2

    def test_crops_spread_a_remainder_over_the_first_photos(self):
        from neural_compressor_pt2e_fix.demo import photos

        images, sources = photos.crops(photos.EVALUATION_PHOTOS, 8)
        assert images.shape[0] == 8
        assert collections.Counter(sources) == {
            name: 1 + (index < 2) for index, name in enumerate(photos.EVALUATION_PHOTOS)
        }

    def test_crops_of_one_photo_are_distinct(self):
        from neural_compressor_pt2e_fix.demo import photos

        images, _ = photos.crops(["astronaut"], 4)
        flat = images.flatten(1)
        assert all(not torch.equal(flat[i], flat[j]) for i in range(4) for j in range(i + 1, 4))

    def test_too_many_crops_of_a_photo(self):
        from neural_compressor_pt2e_fix.demo import photos

        with pytest.raises(ValueError, match=r"^photo 'astronaut' has 46 crops, 47 were asked for$"):
            photos.crops(["astronaut"], 47)


class TestLatency:
    def test_median_and_quartiles_interpolate_between_runs(self):
        latency_ = latency.Latency.of([4.0, 1.0, 3.0, 2.0, 5.0])
        assert (latency_.median, latency_.q1, latency_.q3) == (3.0, 2.0, 4.0)
        assert str(latency.Latency.of([1.0, 2.0])) == "1.50 [1.25, 1.75]"

    def test_interleaved_runs_alternate_and_measure_the_other_processes(self, monkeypatch):
        calls, clock = [], iter([0.0] * 13 + [2.0])  # the start, each timed call's two readings, the end
        # Whole machine busy 3.0 CPU s during the runs, this process 2.0 s of it: others kept 0.5 cores busy in 2 s.
        readings = iter([(100.0, 10.0), (103.0, 12.0)])
        monkeypatch.setattr(latency, "_cpu_seconds", lambda: next(readings))
        monkeypatch.setattr(latency.time, "perf_counter", lambda: next(clock))
        functions = {"fp32": lambda x: calls.append(("fp32", x)), "int8": lambda x: calls.append(("int8", x))}
        times, others = latency.interleaved(functions, (7,), runs=3, warmup=1)
        assert calls == [("fp32", 7), ("int8", 7)] * 4
        assert set(times) == {"fp32", "int8"} and others == 0.5

    def test_without_proc_stat_the_load_average_less_this_process_threads_stands_in(self, monkeypatch):
        monkeypatch.setattr(latency, "_cpu_seconds", lambda: (None, None))
        monkeypatch.setattr(latency.os, "getloadavg", lambda: (3.25, 0.0, 0.0))
        monkeypatch.setattr(latency.torch, "get_num_threads", lambda: 2)
        assert latency.interleaved({"fp32": lambda: None}, (), runs=2, warmup=0)[1] == 1.25

    def test_cpu_seconds_of_the_machine_and_of_this_process(self):
        busy, own = latency._cpu_seconds()
        assert busy > 0 and 0 < own <= sum(os.times()[:2])

    def test_table_rows(self):
        rows = latency.table(
            {
                1: ({"fp32": latency.Latency(9.5, 9.25, 9.75), "int8": latency.Latency(5.0, 4.5, 5.5)}, 0.05),
                8: ({"fp32": latency.Latency(80.0, 70.0, 90.0), "int8": latency.Latency(40.0, 35.0, 45.0)}, 1.5),
            },
            ["int8"],
            cores=2,
        )
        assert rows == [
            "batch  others             fp32 (ms)             int8 (ms)                                          speed-up",
            "    1    0.05     9.50 [9.25, 9.75]     5.00 [4.50, 5.50]                                             1.90x",
            "    8    1.50  80.00 [70.00, 90.00]  40.00 [35.00, 45.00]  unreliable: other processes used 1.50 of 2 cores",
        ]


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class TestProgress:
    def test_steps_count_over_lanes_and_estimate_the_time_left(self):
        stream, clock = io.StringIO(), FakeClock()
        shown = progress.Progress(stream, clock)
        shown.add("A", [(10.0, False), (30.0, True)])
        shown.add("B", [(20.0, True)])
        clock.now += 5
        # Expected: A's exclusive 10 s, then the shared steps side by side: max(A's 30 s, B's 20 s).
        shown.step("A", 0, "a first")
        shown.step("B", 0, "b only")
        # A's first step took twice the 10 s expected (a tenth of the run or more is done): what is left, twice too.
        clock.now += 20
        shown.idle("A")
        shown.step("A", 1, "a second")
        assert stream.getvalue().splitlines() == [
            "[   5.0 s] step 1/3, about 40 s left: A: a first",
            "[   5.0 s] step 2/3, about 40 s left: B: b only",
            "[  25.0 s] step 3/3, about 1 min 00 s left: A: a second",
        ]

    def test_heartbeat_names_the_running_steps_after_a_silence(self):
        stream, clock = io.StringIO(), FakeClock()
        shown = progress.Progress(stream, clock)
        shown.add("A", [(10.0, False), (10.0, False)])
        shown.step("A", 0, "compiling")
        clock.now += progress.HEARTBEAT - 1
        shown.heartbeat()
        clock.now += 1
        shown.heartbeat()
        shown.idle("A")  # waiting for its next step: nothing runs
        clock.now += progress.HEARTBEAT
        shown.heartbeat()
        assert stream.getvalue().splitlines()[1:] == ["[  10.0 s] still running: A: compiling (10 s)"]

    def test_duration(self):
        assert [progress.duration(s) for s in (4.4, 59.6, 125)] == ["4 s", "1 min 00 s", "2 min 05 s"]


def _workload(**changes):
    fields = dict(
        title="M",
        model=None,
        calibration=[],
        evaluation=(),
        configs={},
        default="default",
        totals={"linear": 2},
        score=None,
        columns=(pipeline.Column("cosine", "mean cosine", "{:.3f}"),),
        description=[],
        seconds=pipeline.Seconds(export=2.0, forward=0.01, compile=10.0, compile_fp32=5.0),
    )
    return pipeline.Workload(**{**fields, **changes})


class TestSteps:
    PLAN = pipeline.Plan(calibration=8, evaluation=16, batch_sizes=(1, 8), configs=("other", "default"))

    def test_the_fixed_observers_and_the_default_config_share_one_quantization(self):
        texts = [step.text for step in pipeline.Measurement(_workload(dynamic_batch=True), self.PLAN).steps()]
        # One export (INC's strict export resets dynamo) before the first compile, copied for every quantization.
        assert texts == [
            "exporting the fp32 model (INC's strict export)",
            "fp32 outputs (eager)",
            "quantizing with the stock INC observers",
            "quantizing with the MovingAverage, eps 2**-12 observers",
            "quantizing with the MinMax, torch eps observers",
            "quantizing with the fixed observers",
            "quantizing other",
            "int8 outputs with the stock INC observers (eager QDQ)",
            "int8 outputs with the MovingAverage, eps 2**-12 observers (eager QDQ)",
            "int8 outputs with the MinMax, torch eps observers (eager QDQ)",
            "int8 outputs with the fixed observers (eager QDQ)",
            "compiling int8 other at batch 8 (inductor, freezing) and computing its outputs",
            "compiling int8 default at batch 8 (inductor, freezing) and computing its outputs",
            "compiling fp32 at batch 8 (inductor, freezing)",
            "timing at batch 1: fp32 and the int8 models in turn, 20 runs each",
            "timing at batch 8: fp32 and the int8 models in turn, 20 runs each",
        ]

    def test_static_shapes_compile_each_model_at_each_batch_size(self):
        # Only compile steps are shared (may run beside another model's compile steps).
        plan = dataclasses.replace(self.PLAN, variants=())
        steps = pipeline.Measurement(_workload(), plan).steps()
        assert [(step.text, step.shared) for step in steps][2:] == [
            ("quantizing other", False),
            ("quantizing default", False),
            ("compiling int8 other at batch 8 (inductor, freezing) and computing its outputs", True),
            ("compiling int8 default at batch 8 (inductor, freezing) and computing its outputs", True),
            ("compiling fp32 at batch 8 (inductor, freezing)", True),
            ("compiling fp32 at batch 1 (static shapes: one graph per batch size)", True),
            ("compiling other at batch 1 (static shapes: one graph per batch size)", True),
            ("compiling default at batch 1 (static shapes: one graph per batch size)", True),
            ("timing at batch 1: fp32 and the int8 models in turn, 20 runs each", False),
            ("timing at batch 8: fp32 and the int8 models in turn, 20 runs each", False),
        ]
        # Expected seconds: eager passes scale with the samples, compiles are fixed, timing with runs x models x batch.
        assert [step.seconds for step in steps] == pytest.approx(
            [2.0, 0.16, 1.16, 1.16, 10.0, 10.0, 5.0, 5.0, 10.0, 10.0, 23 * 3 * 0.01 * 1, 23 * 3 * 0.01 * 8]
        )


def test_report_tables():
    workload = _workload()
    plan = pipeline.Plan(calibration=1, evaluation=1, batch_sizes=(1,), configs=("default", "other"), variants=())
    result = {
        "stack": {"torch": "t", "torchao": "a", "INC": "i"},
        "threads": 2,
        "malloc": {"MALLOC_TRIM_THRESHOLD_": "1073741824", "MALLOC_TOP_PAD_": None},
        "cores": 2,
        "configs": {
            "default": {"cosine": 0.99, "kernels": {"linear": 2}, "calibration_ratio": 1.5},
            "other": {"cosine": 0.98, "kernels": {"linear": 1}, "calibration_ratio": 1.4},
        },
        "latency": {
            1: (
                {
                    "fp32": latency.Latency(10.0, 9.5, 10.5),
                    "default": latency.Latency(5.0, 4.5, 5.5),
                    "other": latency.Latency(9.0, 8.0, 10.0),
                },
                0.04,
            )
        },
        "variants": {},
    }
    lines = report.report(workload, plan, result, "quick").splitlines()
    assert lines[-7:] == [
        "default             0.990              2/2      1.50x an fp32 forward",
        "other               0.980              1/2      1.40x an fp32 forward",
        "",
        "latency of the compiled models (one graph per batch size), ms: median [first quartile, third quartile] of 20 "
        "runs after 3 warm-up runs, fp32 and the int8 models in turn, 2 threads, glibc malloc "
        "MALLOC_TRIM_THRESHOLD_=1073741824",
        "others: cores other processes kept busy during the runs; speed-up = fp32 median / int8 median, shown where "
        "others is at most a tenth of the 2 cores and the interquartile ranges do not overlap",
        "batch  others            fp32 (ms)       default (ms)  speed-up          other (ms)                  speed-up",
        "    1    0.04  10.00 [9.50, 10.50]  5.00 [4.50, 5.50]     2.00x  9.00 [8.00, 10.00]  unreliable: IQRs overlap",
    ]


class TestQuantize:
    def test_the_fixed_observers_convert_under_the_patch_too(self):
        # The patch's convert makes dynamic ranges include 0 where inductor leaves it out: a demo model converted
        # outside the patch would be compiled without that (a ReLU makes the second Linear's input one-signed).
        model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4)).eval()
        workload = _workload(model=model, calibration=[(torch.randn(2, 8),)])
        converted, _ = quantization.quantize(workload, quantization.export_model(workload), DynamicQuantConfig())
        targets = [node.target for node in converted.graph.nodes]
        assert targets.count(torch.ops.quantized_decomposed.choose_qparams.tensor) == 2
        assert targets.count(torch.ops.aten.aminmax.default) == (0 if dynamic_affine_compiles_right() else 2)


class TestMallocSettings:
    def test_workers_start_with_the_settings_and_the_environment_is_restored(self, monkeypatch):
        for name in runner.MALLOC_SETTINGS:
            monkeypatch.delenv(name, raising=False)
        with runner.malloc_settings():
            assert {name: os.environ[name] for name in runner.MALLOC_SETTINGS} == {
                "MALLOC_TRIM_THRESHOLD_": "1073741824",
                "MALLOC_TOP_PAD_": "67108864",
                "MALLOC_MMAP_THRESHOLD_": "33554432",
            }
        assert not set(runner.MALLOC_SETTINGS) & set(os.environ)

    def test_a_value_the_user_set_is_kept(self, monkeypatch):
        monkeypatch.setenv("MALLOC_TOP_PAD_", "0")
        with runner.malloc_settings():
            assert os.environ["MALLOC_TOP_PAD_"] == "0"
        assert os.environ["MALLOC_TOP_PAD_"] == "0"


def _png_size(path):
    header = Path(path).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


@needs_demo
class TestQuickDemo:
    @pytest.fixture(scope="class")
    def quick_run(self, tmp_path_factory):
        out = tmp_path_factory.mktemp("demo")
        process = subprocess.run(
            [sys.executable, "-m", "neural_compressor_pt2e_fix", "demo", "--quick", "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert process.returncode == 0, process.stderr[-3000:]
        lite0, minilm = process.stdout.split("\n\n" + "all-MiniLM-L6-v2 through INC")
        return lite0, minilm, process.stderr, out

    def test_lite0_accuracy_row(self, quick_run):
        stdout = quick_run[0]
        rows = re.findall(
            r"^(per_channel) +(-?[\d.]+) dB +([\d.]+) % +(\d+)/(\d+) +(\d+)/(\d+) +([\d.]+)x an fp32 forward$",
            stdout,
            re.MULTILINE,
        )
        assert len(rows) == 1, stdout
        _, sqnr, agreement, convs, total_convs, linears, total_linears, calibration = rows[0]
        # 8-bit quantization of one tensor gives at most ~50 dB; a 50-layer network stays below that. A broken scheme
        # (per_tensor depthwise weights: ~5 dB) falls far below 10 dB.
        assert 10 < float(sqnr) < 50
        assert 75 <= float(agreement) <= 100
        # EfficientNet-Lite0 has 49 convs and 1 linear, all lowered to oneDNN int8 kernels.
        assert (convs, total_convs, linears, total_linears) == ("49", "49", "1", "1")
        # Calibration is an fp32 forward plus a min/max per observed tensor.
        assert 0.25 < float(calibration) < 4

    def test_minilm_accuracy_row(self, quick_run):
        stdout = quick_run[1]
        rows = re.findall(
            r"^default +([\d.]+) +([\d.]+) +([\d.]+) % +([\d.]+) % +(\d+)/(\d+) +([\d.]+)x an fp32 forward$",
            stdout,
            re.MULTILINE,
        )
        assert len(rows) == 1, stdout
        mean, worst, retrieval, top1, linears, total, calibration = rows[0]
        # Measured: mean 0.993, worst 0.988, every retrieval kept. Int8 noise of ~40 dB per layer leaves the
        # embedding within a few degrees; a broken observer or a wrong pooling falls below 0.9.
        assert 0.98 < float(mean) <= 1 and 0.95 < float(worst) <= float(mean)
        assert float(retrieval) >= 90 and float(top1) >= 90
        # 6 layers x (query, key, value, attention output, intermediate, output) linears, all lowered.
        assert (linears, total) == ("36", "36")
        assert 0.25 < float(calibration) < 4

    def test_latency_rows(self, quick_run):
        cell = r"([\d.]+) \[([\d.]+), ([\d.]+)\]"
        for stdout in quick_run[:2]:
            rows = re.findall(rf"^ +(\d+) +([\d.]+) +{cell} +{cell} +(.+)$", stdout, re.MULTILINE)
            assert [row[0] for row in rows] == ["1"], stdout  # --quick times batch 1 only
            others = float(rows[0][1])
            fp32, int8 = [
                latency.Latency(*map(float, (median, q1, q3))) for median, q1, q3 in (rows[0][2:5], rows[0][5:8])
            ]
            # Timings depend on the machine and its load: the test checks that the row follows the rule, not a speed
            # (the measured speed-ups live in docs/benchmarks.md).
            assert 0 < fp32.q1 <= fp32.median <= fp32.q3 and 0 < int8.q1 <= int8.median <= int8.q3
            cores = int(re.search(r"is at most a tenth of the (\d+) cores", stdout)[1])
            assert rows[0][8] == latency.speedup(fp32, int8, others, cores)
            if rows[0][8].endswith("x"):
                assert float(rows[0][8][:-1]) == pytest.approx(fp32.median / int8.median, abs=0.01)

    def test_sequence_length_and_pooling_are_stated(self, quick_run):
        lines = quick_run[1].splitlines()
        assert (
            "calibration: 32 sentences; evaluation: 64 paraphrase pairs (128 sentences), written for this demo; "
            "every sentence padded to 32 tokens" in lines
        )
        assert any(line.startswith("embedding: mean of the token states over the attention mask, L2") for line in lines)

    def test_depthwise_line(self, quick_run):
        match = re.search(
            r"^where per_tensor loses most: _blocks\.(\d+)\._depthwise_conv \((\d+) channels\); with only its weight "
            r"in int8, logits SQNR (-?[\d.]+) dB per_tensor, (-?[\d.]+) dB per_channel$",
            quick_run[0],
            re.MULTILINE,
        )
        assert match, quick_run[0]
        assert 0 <= int(match[1]) < 16
        assert float(match[3]) < float(match[4])

    def test_quick_says_what_it_drops(self, quick_run):
        lite0, minilm = quick_run[0].splitlines(), quick_run[1].splitlines()
        assert (
            "--quick: 16 calibration and 32 evaluation crops (full: 32 and 256); config per_channel only, batch 1 "
            "only, no observer comparison" in lite0
        )
        assert (
            "evaluation: 32 crops of 6 other photos (astronaut, chelsea, coffee, coins, grace_hopper, motorcycle)"
            in lite0
        )
        assert (
            "--quick: 32 calibration sentences and 64 pairs (full: 64 and 128); config default only, batch 1 only, "
            "no observer comparison" in minilm
        )
        assert not any(line.startswith("observers") for line in lite0 + minilm)

    def test_progress_counts_steps_over_both_models(self, quick_run):
        lite0, minilm, stderr, _ = quick_run
        steps = re.findall(
            r"^\[ *[\d.]+ s\] step (\d+)/(\d+), about (?:\d+ min )?\d+ s left: (EfficientNet-Lite0|all-MiniLM-L6-v2): (.+)$",
            stderr,
            re.MULTILINE,
        )
        assert [(int(n), int(total)) for n, total, *_ in steps] == [(n, 14) for n in range(1, 15)], stderr
        for model, config in (("EfficientNet-Lite0", "per_channel"), ("all-MiniLM-L6-v2", "default")):
            assert [text for _, _, name, text in steps if name == model] == [
                "exporting the fp32 model (INC's strict export)",
                "fp32 outputs (eager)",
                f"quantizing {config}",
                f"compiling int8 {config} at batch 1 (inductor, freezing) and computing its outputs",
                "compiling fp32 at batch 1 (inductor, freezing)",
                "per_tensor sensitivity of each depthwise conv; plots" if config == "per_channel" else "plot",
                "timing at batch 1: fp32 and the int8 models in turn, 20 runs each",
            ]
        assert re.search(r"^\[ *[\d.]+ s\] done in (\d+ min )?\d+ s$", stderr, re.MULTILINE), stderr
        assert "step" not in lite0 + minilm

    def test_pngs(self, quick_run):
        out = quick_run[3]
        assert _png_size(out / "depthwise_weight_ranges.png") == (1080, 576)
        assert _png_size(out / "sqnr.png") == (720, 480)
        assert _png_size(out / "minilm_cosine.png") == (960, 540)
