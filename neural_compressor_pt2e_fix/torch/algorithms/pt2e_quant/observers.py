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
"""Observers that compute qparams as a torch observer does and report them in the form the X86 backend lowers.

Each wraps one of torch's observers, so the quantized values and the dequantized floats are exactly those of the
setting the user asked for; only the form in which convert_pt2e writes them into the graph changes:

- :class:`PerChannelSharedScaleObserver`: a per_tensor weight as a per_channel one whose channels share one scale
  (inductor lowers an int8 weight to a oneDNN kernel only when it is dequantized per channel);
- :class:`Uint8FormObserver`: an int8 activation as a uint8 one with the zero point shifted by 128 (oneDNN's
  quantized conv and max_pool2d read uint8 input only, and its int8-input Linear runs a reference kernel on CPUs
  without AMX).
"""

import torch

from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.pt2e_compat import ObserverBase
from neural_compressor_pt2e_fix.torch.algorithms.pt2e_quant.support import DTYPES

# The per_tensor qscheme that each per_channel form of a weight stands for.
_PER_TENSOR_QSCHEMES = {torch.per_channel_symmetric: torch.per_tensor_symmetric}
# How an int8 activation is observed, how it is stored, and what storing it adds to every value (128).
_INT8, _UINT8 = DTYPES["int8"], DTYPES["uint8"]
_UINT8_SHIFT = _UINT8[1] - _INT8[1]


class PerChannelSharedScaleObserver(ObserverBase):
    """Observe a weight with a per_tensor observer and report its one scale once per output channel.

    The quantized weight holds the same int8 values and dequantizes to the same floats as with the per_tensor
    observer alone, in the per_channel form that inductor lowers to oneDNN int8 kernels.

    Args:
        observer (type): The per_tensor observer class, e.g. ``MinMaxObserver``.
        dtype (torch.dtype): The quantized dtype.
        quant_min (int): The smallest quantized value.
        quant_max (int): The largest quantized value.
        qscheme (torch.qscheme): The per_channel form: ``torch.per_channel_symmetric``.
        ch_axis (int): The output channel axis of the weight.
        **kwargs: The wrapped observer's other arguments (``eps``, ``is_dynamic``...).

    Raises:
        ValueError: ``qscheme`` is not a per_channel form of a per_tensor qscheme.
    """

    def __init__(self, observer, dtype, quant_min, quant_max, qscheme=torch.per_channel_symmetric, ch_axis=0, **kwargs):
        if qscheme not in _PER_TENSOR_QSCHEMES:
            raise ValueError(f"qscheme={qscheme} is not a per_channel form of a per_tensor qscheme")
        super().__init__(dtype=dtype, is_dynamic=kwargs.pop("is_dynamic", False))
        self.quant_min, self.quant_max, self.qscheme, self.ch_axis = quant_min, quant_max, qscheme, ch_axis
        self.channels = 0
        self.tensor_observer = observer(
            dtype=dtype, quant_min=quant_min, quant_max=quant_max, qscheme=_PER_TENSOR_QSCHEMES[qscheme], **kwargs
        )

    def forward(self, x):
        """Observe ``x`` and return it unchanged."""
        self.channels = x.shape[self.ch_axis]
        return self.tensor_observer(x)

    def calculate_qparams(self):
        """Return the wrapped observer's scale and zero point, once for each channel along ``ch_axis``."""
        scale, zero_point = self.tensor_observer.calculate_qparams()
        return scale.reshape(1).repeat(self.channels), zero_point.reshape(1).repeat(self.channels)


class Uint8FormObserver(ObserverBase):
    """Observe an activation as int8 with a per_tensor observer and report its qparams for uint8 storage.

    With scale ``s`` and int8 zero point ``z``, ``clamp(round(x / s) + z + 128, 0, 255)`` is the int8 value plus 128,
    so the uint8 form with zero point ``z + 128`` dequantizes to exactly the floats of the int8 one. The converted
    graph therefore shows uint8 quantize nodes for an int8 setting.

    Args:
        observer (type): The per_tensor observer class, e.g. ``MinMaxObserver``.
        dtype (torch.dtype): The stored dtype: ``torch.uint8``.
        quant_min (int): The smallest stored value: 0.
        quant_max (int): The largest stored value: 255.
        qscheme (torch.qscheme): The int8 setting's per_tensor qscheme.
        **kwargs: The wrapped observer's other arguments (``eps``, ``is_dynamic``...).

    Raises:
        ValueError: The stored form is not uint8 over 0 to 255.
    """

    def __init__(self, observer, dtype, quant_min, quant_max, qscheme=torch.per_tensor_affine, **kwargs):
        if (dtype, quant_min, quant_max) != _UINT8:
            raise ValueError(f"the uint8 form is {_UINT8}, not {(dtype, quant_min, quant_max)}")
        super().__init__(dtype=dtype, is_dynamic=kwargs.pop("is_dynamic", False))
        self.quant_min, self.quant_max, self.qscheme = quant_min, quant_max, qscheme
        int8, int8_min, int8_max = _INT8
        self.int8_observer = observer(dtype=int8, quant_min=int8_min, quant_max=int8_max, qscheme=qscheme, **kwargs)

    def forward(self, x):
        """Observe ``x`` and return it unchanged."""
        return self.int8_observer(x)

    def calculate_qparams(self):
        """Return the wrapped observer's scale, and its zero point shifted into the uint8 range."""
        scale, zero_point = self.int8_observer.calculate_qparams()
        return scale, zero_point + _UINT8_SHIFT


__all__ = ["PerChannelSharedScaleObserver", "Uint8FormObserver"]
