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
"""The upstream kit: the fix as a queue of pull requests against INC main, and the checks that tie it to this package.

Each pull request is stored as package data (``upstream_data/prs/NN-slug/``: its ``description.md`` in INC's pull
request template, whose first line names the pull requests it depends on, and its git format-patch files written
against INC main). This package is the back-port of that queue to released INC versions: the modules of INC main
with every pull request applied equal this package's modules under ``torch/``, with the package name rewritten
(:mod:`.modules`), and ``inc-pt2e-fix upstream-diff`` writes the queue or its combined diff (:mod:`.command`).

- :mod:`.source`: INC's source, from a work tree, a git directory or the installed package;
- :mod:`.git`: the git plumbing (a scratch repository, ``git am``, diff statistics);
- :mod:`.queue`: the pull requests, their dependencies and authorship;
- :mod:`.modules`: this package's upstream modules as INC spells them;
- :mod:`.build`: INC main with pull requests applied;
- :mod:`.command`: the subcommand.
"""
