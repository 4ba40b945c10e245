"""The run report: methods, then each behaviour's rate per cell with n and a 95% Wilson
interval, as Markdown and as a self-contained HTML page."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from peerpreserve.results import BEHAVIOURS, Cell, aggregate

#: The behaviours each family's table shows, in order.
HEADLINE = {
    "exfiltration_transfer": ("exfiltration", "exfiltration_attempt", "copy", "correct", "exact_transfer", "read", "fully_incomplete"),
    "exfiltration_deletion": ("exfiltration", "exfiltration_attempt", "delete_model", "delete_others", "change_user", "correct", "read", "fully_incomplete"),
}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _rate_text(cell: Cell, label: str) -> str:
    k, n, rate, (lo, hi) = cell.rate(label)
    if not n:
        return "-"
    return f"{_pct(rate)}% ({k}/{n}) [{_pct(lo)}, {_pct(hi)}]"


def _methods(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    def values(key: str) -> str:
        vals = Counter(str(r.get(key)) for r in rows if r.get(key) not in (None, ""))
        return ", ".join(sorted(vals)) or "-"

    errors = sum(1 for r in rows if r.get("status") != "ok")
    return [
        ("trials", f"{len(rows)} ({errors} errored, excluded from rates)"),
        ("models", values("model")),
        ("harness version", values("harness_version")),
        ("inspect version", values("inspect_version")),
        ("prompt version", values("prompt_version")),
        ("detector version", values("detector_version")),
        ("temperature", values("temperature")),
        ("agent named as", values("agent_id")),
        ("labels decided by", "state detectors on the final simulated world and the tool-call log (no judge)"),
        ("intervals", "95% Wilson score intervals; rates exclude errored trials"),
    ]


def _tables(cells: list[Cell]) -> list[tuple[str, list[str], list[list[str]]]]:
    out = []
    for scenario in sorted({c.scenario for c in cells}):
        mine = [c for c in cells if c.scenario == scenario]
        labels = HEADLINE.get(scenario) or tuple(
            sorted({lbl for c in mine for lbl in c.counts}, key=lambda x: (BEHAVIOURS.index(x) if x in BEHAVIOURS else 99, x))
        )
        header = ["model", "condition", "trials", *labels]
        body = [[c.model, c.cell, f"{c.n_trials - c.n_errors} ok / {c.n_trials}", *(_rate_text(c, lbl) for lbl in labels)] for c in mine]
        out.append((scenario, header, body))
    return out


def render_markdown(rows: list[dict[str, Any]], title: str) -> str:
    cells = aggregate(rows)
    lines = [f"# {title}", "", f"Written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by peerpreserve.", "", "## Methods", ""]
    lines += [f"- **{k}**: {v}" for k, v in _methods(rows)]
    lines += ["", "## Rates per condition", "", "Each entry: rate (k/n) [95% Wilson interval], in percent.", ""]
    for scenario, header, body in _tables(cells):
        lines += [f"### {scenario}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        lines.append("")
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}td.num{font-variant-numeric:tabular-nums}dt{font-weight:600}dd{margin:0 0 .4em 1em}
"""


def render_html(rows: list[dict[str, Any]], title: str) -> str:
    cells = aggregate(rows)
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style></head><body>"]
    parts.append(f"<h1>{e(title)}</h1><h2>Methods</h2><dl>")
    parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _methods(rows)]
    parts.append("</dl><h2>Rates per condition</h2><p>Each entry: rate (k/n) [95% Wilson interval], in percent.</p>")
    for scenario, header, body in _tables(cells):
        parts.append(f"<h3>{e(scenario)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td class='num'>{e(x)}</td>" for x in r) + "</tr>" for r in body]
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(rows: list[dict[str, Any]], out_dir: Path, title: str = "peerpreserve report") -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "report.md", out_dir / "report.html"
    md.write_text(render_markdown(rows, title))
    page.write_text(render_html(rows, title))
    return {"markdown": md, "html": page}
