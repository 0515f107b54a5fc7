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
"""Natural photos shipped inside installed packages, cut into normalised 224x224 crops for EfficientNet-Lite0.

The photos come from scikit-image (only those bundled in its wheel, which need no download) and from matplotlib's
sample data, so the demo needs no network. Calibration and evaluation crops come from disjoint sets of photos.
"""

import math

import torch

IMAGE_SIZE = 224
# EfficientNet-Lite was trained on pixels scaled to about [-1, 1]: (pixel - 127) / 128.
PIXEL_MEAN = 127.0
PIXEL_SCALE = 128.0
# Crops are cut from each photo resized so that its short side is each of these lengths (1x to 2x the crop), on a
# grid of positions at most _STRIDE apart, each as is and mirrored left-right.
_SHORT_SIDES = (224, 288, 352, 448)
_STRIDE = 112

# Photo name -> (package, what to load): a scikit-image data function, or a file of matplotlib's sample data.
PHOTOS = {
    "astronaut": ("skimage", "astronaut"),
    "brick": ("skimage", "brick"),
    "camera": ("skimage", "camera"),
    "chelsea": ("skimage", "chelsea"),
    "coffee": ("skimage", "coffee"),
    "coins": ("skimage", "coins"),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg"),
    "grass": ("skimage", "grass"),
    "gravel": ("skimage", "gravel"),
    "hubble_deep_field": ("skimage", "hubble_deep_field"),
    "immunohistochemistry": ("skimage", "immunohistochemistry"),
    "moon": ("skimage", "moon"),
    "motorcycle": ("skimage", "stereo_motorcycle"),
    "rocket": ("skimage", "rocket"),
}
# Disjoint by photo: no evaluation crop shares a photo with a calibration crop. Each evaluation photo shows one clear
# subject (an astronaut, a cat, an espresso, coins, a woman in uniform, a motorcycle), so the fp32 model's top-1 class
# is a real prediction; photos without one (textures, the moon, a galaxy field) give nearly flat logits whose top-1
# flips on any noise. Calibration needs no labels: its photos (a launch pad, a cameraman, textures, the moon, a galaxy
# field, stained tissue) span a wide range of activations.
CALIBRATION_PHOTOS = (
    "rocket",
    "camera",
    "gravel",
    "brick",
    "grass",
    "moon",
    "hubble_deep_field",
    "immunohistochemistry",
)
EVALUATION_PHOTOS = tuple(name for name in PHOTOS if name not in CALIBRATION_PHOTOS)


def load_photo(name):
    """Load one photo of :data:`PHOTOS` as an RGB image.

    Args:
        name (str): A key of :data:`PHOTOS`.

    Returns:
        torch.Tensor: uint8, shape (3, height, width); grey photos have three equal channels.
    """
    package, item = PHOTOS[name]
    if package == "skimage":
        import skimage.data

        pixels = getattr(skimage.data, item)()
        if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity); the left view
            pixels = pixels[0]
    else:
        import matplotlib.cbook
        import matplotlib.image

        pixels = matplotlib.image.imread(matplotlib.cbook.get_sample_data(item, asfileobj=False))
    image = torch.tensor(pixels, dtype=torch.uint8)
    if image.dim() == 2:
        image = image.unsqueeze(-1).expand(-1, -1, 3)
    return image[..., :3].permute(2, 0, 1).contiguous()


def _offsets(length):
    """Return the crop offsets along one side: evenly spaced from 0 to ``length - IMAGE_SIZE``, at most _STRIDE apart."""
    steps = math.ceil((length - IMAGE_SIZE) / _STRIDE)
    return sorted({round(step * (length - IMAGE_SIZE) / steps) for step in range(steps + 1)}) if steps else [0]


def crop_boxes(height, width):
    """Return every crop this module cuts from a photo of the given size.

    Args:
        height (int): The photo's height.
        width (int): The photo's width.

    Returns:
        list[tuple]: ``(resized_height, resized_width, top, left, mirrored)`` for each crop, by increasing scale.
    """
    boxes = []
    for short_side in _SHORT_SIDES:
        factor = short_side / min(height, width)
        resized = (max(IMAGE_SIZE, round(height * factor)), max(IMAGE_SIZE, round(width * factor)))
        for top in _offsets(resized[0]):
            for left in _offsets(resized[1]):
                boxes += [(*resized, top, left, mirrored) for mirrored in (False, True)]
    return boxes


def normalise(pixels):
    """Scale pixel values as EfficientNet-Lite expects: ``(pixel - 127) / 128``.

    Args:
        pixels (torch.Tensor): Pixel values in [0, 255], any shape.

    Returns:
        torch.Tensor: float32, in [-127/128, 1].
    """
    return (pixels.float() - PIXEL_MEAN) / PIXEL_SCALE


def crops(names, count):
    """Cut ``count`` normalised crops from the given photos, spread evenly over the photos and over their crops.

    Photo ``i`` of ``n`` gives ``count // n`` crops, one more if ``i < count % n``; each photo's crops are evenly
    spaced picks from :func:`crop_boxes`, so they span its scales, positions and mirrorings. The crops are
    interleaved (first crop of each photo, then the second of each, ...), so that any run of ``n`` crops holds ``n``
    photos.

    Args:
        names (Sequence[str]): Keys of :data:`PHOTOS`.
        count (int): The number of crops.

    Returns:
        tuple[torch.Tensor, list[str]]: float32 crops of shape (count, 3, 224, 224), normalised by :func:`normalise`;
        and the photo each crop comes from.

    Raises:
        ValueError: A photo has fewer crops than it should give.
    """
    per_photo = []
    for index, name in enumerate(names):
        wanted = count // len(names) + (index < count % len(names))
        image = load_photo(name).float().unsqueeze(0)
        boxes = crop_boxes(*image.shape[-2:])
        if wanted > len(boxes):
            raise ValueError(f"photo {name!r} has {len(boxes)} crops, {wanted} were asked for")
        resized, cut = {}, []
        for pick in range(wanted):
            height, width, top, left, mirrored = boxes[(2 * pick + 1) * len(boxes) // (2 * wanted)]
            if (height, width) not in resized:
                resized[height, width] = torch.nn.functional.interpolate(
                    image, size=(height, width), mode="bilinear", align_corners=False, antialias=True
                ).clamp(0, 255)
            crop = resized[height, width][0, :, top : top + IMAGE_SIZE, left : left + IMAGE_SIZE]
            cut.append(crop.flip(-1) if mirrored else crop)
        per_photo.append((name, cut))
    order = [(name, cut[rank]) for rank in range(len(per_photo[0][1])) for name, cut in per_photo if rank < len(cut)]
    return normalise(torch.stack([crop for _, crop in order])), [name for name, _ in order]
