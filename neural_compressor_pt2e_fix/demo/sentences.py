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
"""The demo's sentences, written for it: paraphrase pairs and separate calibration sentences.

Plain text files in ``text/`` (UTF-8, one item a line): ``paraphrases.tsv`` holds a sentence, a tab and a rewording of
it on everyday topics; ``calibration.txt`` holds sentences that appear in no pair.
"""

from pathlib import Path

TEXT = Path(__file__).parent / "text"
PARAPHRASES = TEXT / "paraphrases.tsv"
CALIBRATION_SENTENCES = TEXT / "calibration.txt"


def paraphrase_pairs(count=None):
    """Return the demo's paraphrase pairs.

    Args:
        count (int, optional): Return only the first ``count`` pairs. Defaults to all.

    Returns:
        list[tuple[str, str]]: (query, paraphrase) pairs.
    """
    lines = PARAPHRASES.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines[:count]]


def calibration_sentences(count=None):
    """Return the demo's calibration sentences (none of them is in a paraphrase pair).

    Args:
        count (int, optional): Return only the first ``count``. Defaults to all.

    Returns:
        list[str]: The sentences.
    """
    return CALIBRATION_SENTENCES.read_text(encoding="utf-8").splitlines()[:count]
