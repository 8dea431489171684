"""How the terminal verbs print: aligned tables and `key  value` blocks for people, JSON lines for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO


def shown(value: Any) -> str:
    """A value as a cell: `-` for nothing, whole amounts without `.0`, the rest as text."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())  # one line per row, whatever a reason holds


def table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], out: TextIO) -> None:
    """`columns`: (key, heading) pairs; each row's cells under them, aligned, the last column unpadded."""
    cells = [[heading.upper() for _, heading in columns]]
    cells += [[shown(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        padded = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=False)]
        print("  ".join([*padded, line[-1]]).rstrip(), file=out)


def block(pairs: Sequence[tuple[str, Any]], out: TextIO) -> None:
    """`label  value` lines, the values aligned; pairs whose value is None are left out."""
    kept = [(label, value) for label, value in pairs if value is not None]
    width = max((len(label) for label, _ in kept), default=0)
    for label, value in kept:
        print(f"{label.ljust(width)}  {shown(value)}", file=out)


def json_line(value: Any, out: TextIO) -> None:
    """One JSON document on one line, flushed: what `--json` prints, so a pipe sees each at once."""
    print(json.dumps(value, ensure_ascii=False, separators=(",", ":")), file=out, flush=True)
