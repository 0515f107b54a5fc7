import collections
import importlib.util
import math
import re
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from neural_compressor_pt2e_fix import cli, demo
from neural_compressor_pt2e_fix.demo import metrics, pipeline


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


def test_report_of_an_eager_only_config():
    # A config the demo scores in eager mode only (act_int8 on a CPU without AMX) shows no kernel count and no
    # latency column, and the report says why.
    workload = pipeline.Workload(
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
        eager_only={"act_int8": "slow kernel"},
    )
    plan = pipeline.Plan(calibration=1, evaluation=1, batch_sizes=(1,), configs=("default", "act_int8"), variants=())
    result = {
        "stack": {"torch": "t", "torchao": "a", "INC": "i"},
        "threads": 2,
        "configs": {
            "default": {"cosine": 0.99, "kernels": {"linear": 2}, "calibration_ratio": 1.5},
            "act_int8": {"cosine": 0.98, "kernels": None, "calibration_ratio": 1.4},
        },
        "latency": {1: {"fp32": 10.0, "default": 5.0}},
        "variants": {},
    }
    lines = pipeline.report(workload, plan, result, "quick").splitlines()
    assert lines[-7:] == [
        "default             0.990              2/2      1.50x an fp32 forward",
        "act_int8            0.980           eager only  1.40x an fp32 forward",
        "act_int8: eager only, not compiled or timed: slow kernel",
        "",
        "latency of the compiled models: median of 20 runs after 3 warm-up runs, 2 threads; speed-up = fp32 / int8",
        "batch  fp32 (ms)      default (ms)  speed-up",
        "    1      10.00              5.00     2.00x",
    ]


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
        for stdout in quick_run[:2]:
            rows = re.findall(r"^ +(\d+) +([\d.]+) +([\d.]+) +([\d.]+)x$", stdout, re.MULTILINE)
            assert [row[0] for row in rows] == ["1"], stdout  # --quick times batch 1 only
            fp32, int8, speedup = map(float, rows[0][1:])
            # Timings depend on the machine and its load: the test checks the row's arithmetic, not a speed (the
            # measured speed-ups live in docs/benchmarks.md).
            assert int8 > 0 and fp32 > 0
            assert speedup == pytest.approx(fp32 / int8, abs=0.02)

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

    def test_progress_goes_to_stderr(self, quick_run):
        lite0, minilm, stderr, _ = quick_run
        assert re.search(r"^\[ +[\d.]+ s\] calibrating per_channel \(2\)$", stderr, re.MULTILINE), stderr
        assert re.search(r"^\[ +[\d.]+ s\] calibrating default \(4\)$", stderr, re.MULTILINE), stderr
        assert "calibrating" not in lite0 + minilm

    def test_pngs(self, quick_run):
        out = quick_run[3]
        assert _png_size(out / "depthwise_weight_ranges.png") == (1080, 576)
        assert _png_size(out / "sqnr.png") == (720, 480)
        assert _png_size(out / "minilm_cosine.png") == (960, 540)
