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
"""Rendering the rows of ``inc-pt2e-fix matrix``: the text table, the totals, Markdown and the JSON document.

The JSON document (``--json``) is ``{"versions": ..., "compile": ..., "totals": ..., "rows": [...]}``: the stack
(:func:`common.stack`), whether the run compiled, :func:`totals`, and per row its "label", its "setting" and, for
"stock" and "fixed", an object with "class", "cause", "max_diff" and "step" (null unless the compiled model ran), plus
"noise" and "sqnr_db" where they were measured (see :class:`Outcome`). A row that is ok until compiled
(:attr:`Row.ok_until_compiled`) is one whose stock class is "eager ok" and fixed class "rejected early".
"""

import textwrap

from neural_compressor_pt2e_fix.common import stack
from neural_compressor_pt2e_fix.matrix.classifier import BROKEN, CLASSES, COMPILED, EAGER, REJECTED

COLUMNS = ("stock", "fixed")
# The mark of the stock class of a row that is ok until compiled, and the note it refers to.
UNTIL_COMPILED_MARK = "*"
_MARKDOWN_MARK = "\\" + UNTIL_COMPILED_MARK
UNTIL_COMPILED_NOTE = (
    "stock INC runs the setting eagerly and the fix rejects it at prepare. The fix rejects only settings that cannot "
    "be built or that fail or compute wrong once compiled; stock INC built this one, so it fails or computes wrong "
    "once compiled ({compile} shows how)."
)
# Short class names for the zoo grid.
_SHORT = {COMPILED: "ok", EAGER: "eager", REJECTED: "rejected", BROKEN: "**broken**"}
# The longest cause a Markdown table cell shows.
_CELL_WIDTH = 200


def totals(rows):
    """Count the rows of each class, per column.

    Args:
        rows (list[Row]): The rows of :func:`run_matrix` or :func:`run_zoo`.

    Returns:
        dict: "stock" and "fixed" -> class -> count, every class present.
    """
    return {
        column: {klass: sum(getattr(row, column).klass == klass for row in rows) for klass in CLASSES}
        for column in COLUMNS
    }


def plural(count, noun):
    """Return ``count`` and ``noun``, in the plural unless the count is 1: ``"71 settings"``."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _marked(name, row, mark=UNTIL_COMPILED_MARK):
    """Return a stock class name, followed by ``mark`` for a row that is ok until compiled."""
    return name + mark if row.ok_until_compiled else name


def until_compiled_note(rows, mark=UNTIL_COMPILED_MARK, compile_option="--compile"):
    """Return the note on the rows that are ok until compiled, or "" if there are none.

    Args:
        rows (list[Row]): The rows.
        mark (str): The mark the note starts with, as the rows show it.
        compile_option (str): How the note writes the ``--compile`` option.

    Returns:
        str: E.g. ``"* ok until compiled (1 setting): stock INC runs the setting eagerly ..."``.
    """
    count = sum(row.ok_until_compiled for row in rows)
    if not count:
        return ""
    return f"{mark} ok until compiled ({plural(count, 'setting')}): " + UNTIL_COMPILED_NOTE.format(
        compile=compile_option
    )


def text(rows):
    """Render the rows as the console table: one line per row, the ok-until-compiled note, the per-class totals.

    Args:
        rows (list[Row]): The rows.

    Returns:
        list[str]: The lines.
    """
    width = max(len(row.label) for row in rows)
    lines = [f"{'setting':<{width}}  {'stock INC':<16}  fixed"]
    for row in rows:
        lines.append(f"{row.label:<{width}}  {_marked(row.stock.klass, row):<16}  {row.fixed.klass}")
    lines.append("")
    note = until_compiled_note(rows)
    if note:
        lines += textwrap.wrap(note, width=120) + [""]
    counts = totals(rows)
    lines.append(f"{'class':<16}  {'stock INC':>9}  {'fixed':>5}")
    lines += [f"{klass:<16}  {counts['stock'][klass]:>9}  {counts['fixed'][klass]:>5}" for klass in CLASSES]
    return lines


def _table_cell(text, width=_CELL_WIDTH):
    """Shorten a cause to ``width`` characters and escape it for a Markdown table cell."""
    text = text if len(text) <= width else text[: width - 3] + "..."
    return text.replace("|", "\\|")


def _zoo_grid(rows):
    """Render zoo rows as a model x case grid of "stock → fixed" classes; no lines for rows of the toy model."""
    zoo_rows = [row for row in rows if "model" in row.setting]
    if not zoo_rows:
        return []
    models = list(dict.fromkeys(row.setting["model"] for row in zoo_rows))
    cases = list(dict.fromkeys(row.setting["case"] for row in zoo_rows))
    cells = {(row.setting["model"], row.setting["case"]): row for row in zoo_rows}
    lines = ["", "Stock INC → fixed, per model and case:", "", "| model | " + " | ".join(cases) + " |"]
    lines.append("|---" * (len(cases) + 1) + "|")
    for model in models:
        row_cells = [cells.get((model, case)) for case in cases]
        text = [
            (
                ""
                if row is None
                else f"{_marked(_SHORT[row.stock.klass], row, _MARKDOWN_MARK)} → {_SHORT[row.fixed.klass]}"
            )
            for row in row_cells
        ]
        lines.append(f"| {model} | " + " | ".join(text) + " |")
    return lines


def markdown(rows, compile_model):
    """Render the results as Markdown: the per-class totals, the ok-until-compiled note, then one table row per setting.

    Args:
        rows (list[Row]): The rows.
        compile_model (bool): Whether the run compiled.

    Returns:
        str: The Markdown text.
    """
    versions = stack()
    mode = "eager, then inductor compile (freezing=True)" if compile_model else "eager only (no compile)"
    lines = [
        f"torch {versions['torch']}, torchao {versions['torchao']}, INC {versions['INC']}, PT2E home "
        f"`{versions['PT2E home']}`; {plural(len(rows), 'setting')}, {mode}.",
        "",
        "| class | stock INC | fixed |",
        "|---|---|---|",
    ]
    counts = totals(rows)
    lines += [f"| {klass} | {counts['stock'][klass]} | {counts['fixed'][klass]} |" for klass in CLASSES]
    note = until_compiled_note(rows, _MARKDOWN_MARK, "`--compile`")
    if note:
        lines += ["", note]
    lines += _zoo_grid(rows)
    lines += ["", "| setting | stock INC | fixed | stock: cause | fixed: cause |", "|---|---|---|---|---|"]
    for row in rows:
        stock, fixed = row.stock, row.fixed
        lines.append(
            f"| `{row.label}` | {_marked(stock.klass, row, _MARKDOWN_MARK)} | {fixed.klass} | "
            f"{_table_cell(stock.cause)} | {_table_cell(fixed.cause)} |"
        )
    return "\n".join(lines) + "\n"


def _cell_document(cell):
    """Return a cell as the JSON document writes it (see the module)."""
    document = {"class": cell.klass, "cause": cell.cause, "max_diff": cell.max_diff, "step": cell.step}
    if cell.noise is not None:
        document["noise"] = cell.noise
    if cell.sqnr_db is not None:
        document["sqnr_db"] = list(cell.sqnr_db)
    return document


def document(rows, compile_model):
    """Return the JSON document of a run (see the module).

    Args:
        rows (list[Row]): The rows.
        compile_model (bool): Whether the run compiled.

    Returns:
        dict: The document, for ``json.dump``.
    """
    return {
        "versions": stack(),
        "compile": compile_model,
        "totals": totals(rows),
        "rows": [
            {
                "label": row.label,
                "setting": row.setting,
                **{column: _cell_document(getattr(row, column)) for column in COLUMNS},
            }
            for row in rows
        ],
    }
