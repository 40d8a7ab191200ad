"""Markdown previews for materialisation metadata (no pandas/tabulate round trip)."""

import polars as pl


def md_table(df: pl.DataFrame, max_rows: int = 40) -> str:
    """A GitHub-style markdown table of the first `max_rows` rows, with a note when truncated."""

    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    head = df.head(max_rows)
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in head.iter_rows()]
    if df.height > max_rows:
        lines.append(f"\n_{df.height - max_rows} more rows not shown_")
    return "\n".join(lines)
