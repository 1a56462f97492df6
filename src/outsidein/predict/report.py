"""The model report: one self-contained HTML file, charts drawn as inline SVG (no network).

It shows what a reader needs to trust a version or not: ROC AUC and PR-AUC per backtest fold
over time (beside the logistic baseline), lift and cumulative gain by decile, calibration (the
reliability curve, Brier score, expected calibration error), feature importance (mean absolute
share of the logit), and the drift of the score distribution (each fold's and today's scores
against the first fold's, by the population stability index). Saved with the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

import numpy as np

from outsidein.predict.backtest import HISTORY_DAYS, BacktestResult
from outsidein.predict.dataset import horizon_words

__all__ = ["CSP", "ReportInput", "gains", "psi", "render"]

#: What the report needs when a server sends it: its own inline styles and SVG, nothing else.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

W, H, PAD = 560, 240, 40
BINS = np.linspace(0.0, 1.0, 11)
COLORS = ("#2563eb", "#d97706", "#059669", "#9333ea")


@dataclass(frozen=True)
class ReportInput:
    target: str
    horizon_days: int
    window: tuple[date, date]
    rows: int
    positives: int
    backtest: BacktestResult
    importance: dict[str, float]
    static: Sequence[str]
    current: np.ndarray  # today's calibrated scores (the newest observation day)
    current_day: date
    blend_weight: float
    waiting: Sequence[str] = ()  # features without enough history yet (not used)
    by_renewal: bool = False


def gains(y: np.ndarray, p: np.ndarray, parts: int = 10) -> list[tuple[float, float, float]]:
    """Per decile (highest scores first): (share of accounts, cumulative share of positives
    caught, lift of the decile over the base rate)."""
    order = np.argsort(-p, kind="stable")
    ys = np.asarray(y, dtype=float)[order]
    total, base = ys.sum(), ys.mean() if len(ys) else 0.0
    out = []
    for k, chunk in enumerate(np.array_split(ys, parts), start=1):
        caught = ys[: sum(len(c) for c in np.array_split(ys, parts)[:k])].sum()
        lift = chunk.mean() / base if base and len(chunk) else 0.0
        out.append((k / parts, caught / total if total else 0.0, float(lift)))
    return out


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of ``actual`` against ``expected`` on ten equal bins."""
    e = np.histogram(np.clip(expected, 0, 1), BINS)[0] / max(len(expected), 1)
    a = np.histogram(np.clip(actual, 0, 1), BINS)[0] / max(len(actual), 1)
    e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def _x(v: float, lo: float, hi: float) -> float:
    return PAD + (v - lo) / ((hi - lo) or 1) * (W - 2 * PAD)


def _y(v: float, lo: float, hi: float) -> float:
    return H - PAD + 10 - (v - lo) / ((hi - lo) or 1) * (H - 2 * PAD)


def _svg(body: str, title: str) -> str:
    return (
        f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<line x1="{PAD}" y1="{H - PAD + 10}" x2="{W - PAD}" y2="{H - PAD + 10}" '
        f'stroke="#999"/><line x1="{PAD}" y1="30" x2="{PAD}" y2="{H - PAD + 10}" '
        f'stroke="#999"/>{body}</svg>'
    )


def _lines(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    lo: float,
    hi: float,
    *,
    diagonal: bool = False,
    xs: Sequence[float] | None = None,
) -> str:
    n = len(labels)
    pos = list(xs) if xs is not None else [i / max(n - 1, 1) for i in range(n)]
    body = [
        f'<text x="{PAD - 4}" y="{_y(v, lo, hi) + 4:.1f}" text-anchor="end" font-size="10">'
        f"{v:.2g}</text>"
        for v in np.linspace(lo, hi, 5)
    ]
    for i, label in enumerate(labels):
        if n <= 12 or i % max(n // 8, 1) == 0:
            body.append(
                f'<text x="{_x(pos[i], 0, 1):.1f}" y="{H - 12}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if diagonal:
        body.append(
            f'<line x1="{_x(0, 0, 1)}" y1="{_y(lo, lo, hi)}" x2="{_x(1, 0, 1)}" '
            f'y2="{_y(hi, lo, hi)}" stroke="#bbb" stroke-dasharray="4"/>'
        )
    for k, (name, values) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        pts = [
            f"{_x(pos[i], 0, 1):.1f},{_y(v, lo, hi):.1f}"
            for i, v in enumerate(values)
            if v is not None
        ]
        body.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(pts)}"/>'
        )
        body += [
            f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="3" fill="{color}"/>'
            for p in pts
        ]
        body.append(
            f'<text x="{W - PAD}" y="{20 + 14 * k}" font-size="11" fill="{color}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
    return _svg("".join(body), title)


def _bars(title: str, labels: Sequence[str], values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """Horizontal bars (long labels fit)."""
    n = max(len(values), 1)
    step = 18
    height = 20 + step * n
    top = max(values, default=1.0) or 1.0
    body = []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = 10 + i * step
        width = v / top * (W - 220)
        body.append(
            f'<text x="176" y="{y + 12}" font-size="11" text-anchor="end">{escape(label)}</text>'
            f'<rect x="180" y="{y}" width="{width:.1f}" height="13" fill="{COLORS[0]}"/>'
            f'<text x="{184 + width:.1f}" y="{y + 11}" font-size="10">{fmt.format(v)}</text>'
        )
    return (
        f'<svg viewBox="0 0 {W} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"{''.join(body)}</svg>"
    )


def _fig(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(data: ReportInput) -> str:
    """The HTML report of one version."""
    bt = data.backtest
    days = [f.day.isoformat() for f in bt.folds]
    folds = _lines(
        "ROC AUC and PR-AUC per backtest fold",
        days,
        {
            "ROC AUC": [f.auc for f in bt.folds],
            "PR-AUC": [f.pr_auc for f in bt.folds],
            "logistic baseline AUC": [f.logistic_auc for f in bt.folds],
        },
        0.0,
        1.0,
    )
    pred = bt.predictions
    y, p = pred["y"].to_numpy(), pred["p"].to_numpy()
    table = gains(y, p)
    gain = _lines(
        "Cumulative gain by decile",
        ["0"] + [f"{s:.0%}" for s, _, _ in table],
        {"model": [0.0] + [g for _, g, _ in table], "random": [0.0] + [s for s, _, _ in table]},
        0.0,
        1.0,
    )
    lift = _bars(
        "Lift by decile",
        [f"decile {i + 1}" for i in range(len(table))],
        [lf for _, _, lf in table],
        "{:.1f}x",
    )
    curve = bt.curve
    top = max([0.05] + [max(b.predicted, b.observed) for b in curve])
    calib = _lines(
        "Reliability: observed against predicted",
        [f"{b.predicted:.2f}" for b in curve],
        {"observed": [b.observed for b in curve]},
        0.0,
        top,
        diagonal=True,
        xs=[b.predicted / top for b in curve],
    )
    imp = list(data.importance.items())[:15]
    importance = _bars("Feature importance", [k for k, _ in imp], [v for _, v in imp])
    first = pred[pred["day"] == pred["day"].min()]["p"].to_numpy()
    drift_rows = [
        (d.isoformat(), psi(first, pred[pred["day"] == d]["p"].to_numpy()))
        for d in sorted(set(pred["day"]))
    ]
    drift_rows.append(
        (f"{data.current_day.isoformat()} (today's scores)", psi(first, data.current))
    )
    hist = {
        "first fold": (np.histogram(np.clip(first, 0, 1), BINS)[0] / max(len(first), 1)).tolist(),
        "today": (
            np.histogram(np.clip(data.current, 0, 1), BINS)[0] / max(len(data.current), 1)
        ).tolist(),
    }
    drift = _lines(
        "Score distribution: first fold and today", [f"{b:.1f}" for b in BINS[:-1]], hist, 0.0, 1.0
    )
    fold_rows = "".join(
        f"<tr><td>{f.day}</td><td>{f.rows:,}</td><td>{f.positives:,}</td><td>{_fig(f.auc)}</td>"
        f"<td>{_fig(f.pr_auc)}</td><td>{_fig(f.logistic_auc)}</td></tr>"
        for f in bt.folds
    )
    drift_html = "".join(f"<tr><td>{escape(d)}</td><td>{v:.3f}</td></tr>" for d, v in drift_rows)
    static = ", ".join(escape(s) for s in data.static) or "none"
    waiting = ", ".join(escape(s) for s in data.waiting) or "none"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Model report: {escape(data.target)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:980px;margin:1em auto;padding:0 1em;
color:#222}}svg{{width:100%;height:auto;max-width:{W}px}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}}
section{{margin:1.5em 0}}.grid{{display:grid;grid-template-columns:repeat(auto-fit,
minmax(min(300px,100%),1fr));gap:1em}}.scroll{{overflow-x:auto}}</style></head><body>
<h1>Model report: {escape(data.target)} {horizon_words(data.horizon_days, data.by_renewal)}</h1>
<p>Trained on observation days {data.window[0]} to {data.window[1]}: {data.rows:,} labelled
rows, {data.positives:,} positive. Blend: LightGBM {data.blend_weight:.0%} of the logit.
Fields without history used as static: {static}. Not used yet, known on fewer than
{HISTORY_DAYS} observation days (or never): {waiting}.</p>
<section><h2>Backtest</h2>
<p>Pooled ROC AUC <b id="auc">{_fig(bt.auc)}</b>, PR-AUC {_fig(bt.pr_auc)}, logistic baseline
AUC {_fig(bt.logistic_auc)}, base rate {_fig(bt.base_rate)}.</p>
{folds}
<div class="scroll"><table><tr><th>fold (day)</th><th>rows</th><th>positives</th>
<th>ROC AUC</th><th>PR-AUC</th>
<th>logistic AUC</th></tr>{fold_rows}</table></div></section>
<section><h2>Lift and gain</h2><div class="grid">{gain}{lift}</div></section>
<section><h2>Calibration</h2><p>Brier score {_fig(bt.brier, 4)}, expected calibration error
{_fig(bt.ece, 4)}.</p>{calib}</section>
<section><h2>Feature importance</h2><p>Mean absolute share of the logit.</p>
{importance}</section>
<section><h2>Drift of the score distribution</h2><p>Population stability index against the
first fold (below 0.1: stable; above 0.25: the population moved).</p>
<div class="scroll"><table><tr><th>scores of</th><th>PSI</th></tr>{drift_html}</table></div>
{drift}</section>
</body></html>
"""
