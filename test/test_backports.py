"""The back-ported INC names: INC's own objects where the installed INC has them, INC's values where it does not."""

from packaging.version import Version

from neural_compressor.torch.utils import environ as inc_environ
from neural_compressor_pt2e_fix.torch.utils import environ


def test_torch_version_names_are_incs_or_back_ported():
    assert environ.get_torch_version is inc_environ.get_torch_version
    if hasattr(inc_environ, "TORCH_VERSION_2_11_0"):
        assert environ.TORCH_VERSION_2_11_0 is inc_environ.TORCH_VERSION_2_11_0
    assert environ.TORCH_VERSION_2_11_0 == Version("2.11.0")
