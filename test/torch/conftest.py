"""Run the tests under test/torch against the installed INC with the fixed factory patched in, each test static by
default.

This file is ours only: the upstream diff leaves it out, because in INC's repository the fixed modules replace
INC's own and no runtime patch is needed.
"""

import pytest

from neural_compressor_pt2e_fix import patched


@pytest.fixture(autouse=True, scope="module")
def fixed_factory():
    with patched():
        yield


@pytest.fixture(autouse=True)
def static_by_default(monkeypatch):
    # INC 3.0.2 sets W8A8PT2EQuantizer.is_dynamic for a dynamic run and never resets it (INC 3.10 does), which
    # would turn every later static prepare in this process into a dynamic one.
    from neural_compressor.torch.algorithms.pt2e_quant import core

    monkeypatch.setattr(core.W8A8PT2EQuantizer, "is_dynamic", False)
