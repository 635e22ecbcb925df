"""A model evaluation (``afs evaluate``'s report dict) as one self-contained HTML page: the
models compared (endpoints that failed shown with their status and error), pass rates per
check, every item's verdict per model, and PNG plots (pass rate by model and check, latency
distribution, tokens/s) embedded as base64 data URIs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from afs.reports.html import (
    empty_figure,
    esc,
    figure_html,
    new_figure,
    num,
    page_html,
    table_html,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = ("#4C72B0", "#55A868", "#C44E52", "#8172B2", "#DD8452", "#937860", "#DA8BC3")
DETAIL_CHARS = 90  # of an item's detail or error shown in the per-item table


def _answered(report: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The models that answered at least one item, in report order."""
    return {name: model for name, model in report["models"].items()
            if model.get("summary") and model["summary"]["answered"]}


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


# ------------------------------------------------------------------ figures


def plot_pass_rates(report: Mapping[str, Any]) -> Figure:
    """Grouped bars: the pass rate of each model, overall and per check."""
    models = _answered(report)
    checks = sorted({c for m in models.values() for c in m["summary"]["pass_rate_by_check"]})
    groups = ["overall", *checks]
    if not models or not checks:
        return empty_figure(new_figure(8, 2.5), "Pass rate by model and check",
                            "no judged answers")
    figure = new_figure(max(6.0, 1.6 * len(groups) * max(1, len(models)) ** 0.5), 3.8)
    axes = figure.add_subplot()
    width = 0.8 / len(models)
    for i, (name, model) in enumerate(models.items()):
        summary = model["summary"]
        rates = [summary["pass_rate"], *(summary["pass_rate_by_check"].get(c) for c in checks)]
        xs = [g + (i - (len(models) - 1) / 2) * width for g in range(len(groups))]
        bars = axes.bar(xs, [r or 0.0 for r in rates], width, label=name,
                        color=PALETTE[i % len(PALETTE)])
        axes.bar_label(bars, labels=["–" if r is None else f"{r:.0%}" for r in rates],
                       fontsize=7, padding=1)
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylim(0, 1.12)
    axes.set_ylabel("pass rate (answered items)")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    axes.set_title("Pass rate by model and check")
    return figure


def _per_model_values(models: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, list[float]]:
    return {name: [row[key] for row in model["items"] if row.get(key) is not None]
            for name, model in models.items()}


def _box_plot(values: Mapping[str, Sequence[float]], title: str, xlabel: str,
              empty: str) -> Figure:
    """Horizontal box plots, one per model with values (n on each label)."""
    values = {name: v for name, v in values.items() if v}
    if not values:
        return empty_figure(new_figure(8, 2.5), title, empty)
    figure = new_figure(8, 1.3 + 0.5 * len(values))
    axes = figure.add_subplot()
    names = list(reversed(values))  # first model on top
    axes.boxplot([values[n] for n in names], vert=False, widths=0.6,
                 tick_labels=[f"{n} (n={len(values[n])})" for n in names],
                 medianprops={"color": "#C44E52"}, flierprops={"markersize": 3})
    axes.set_xlim(left=0)
    axes.set_xlabel(xlabel)
    axes.grid(axis="x", alpha=0.3)
    axes.set_title(title)
    return figure


def plot_latencies(report: Mapping[str, Any]) -> Figure:
    """The distribution of answer latency per model."""
    return _box_plot(_per_model_values(_answered(report), "latency_s"),
                     "Latency per answer", "seconds (box: quartiles, red line: median)",
                     "no answers")


def plot_tokens_per_s(report: Mapping[str, Any]) -> Figure:
    """The distribution of generation speed per model."""
    return _box_plot(_per_model_values(_answered(report), "tokens_per_s"),
                     "Generation speed per answer", "completion tokens per second of wall time",
                     "no token counts reported")


def evaluation_figures(report: Mapping[str, Any]) -> dict[str, tuple[str, Figure]]:
    """Every plot of the page: name -> (caption, Figure), in page order."""
    return {
        "pass_rates": ("Share of answered items that passed their check, overall and per "
                       "check (failing endpoints are not plotted).", plot_pass_rates(report)),
        "latency": ("Seconds from request to full answer, per model.", plot_latencies(report)),
        "tokens_per_s": ("Completion tokens per second of wall time, per answer.",
                         plot_tokens_per_s(report)),
    }


# ------------------------------------------------------------------ the page


def _comparison_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    for name, model in report["models"].items():
        summary = model.get("summary") or {}
        status = model["status"] if not model.get("error") else \
            f"{model['status']}: {_short(model['error'])}"
        rows.append([name, model.get("model") or "–", status, summary.get("pass_rate"),
                     summary.get("passed"), summary.get("judged"), summary.get("errors"),
                     summary.get("asar_valid_rate"), summary.get("latency_p50_s"),
                     summary.get("latency_p95_s"), summary.get("latency_mean_s"),
                     summary.get("tokens_per_s"), summary.get("total_s")])
    return rows


def _verdict(row: Mapping[str, Any]) -> str:
    if row["error"] is not None:
        return f"ERROR {_short(row['error'])}"
    if row["passed"] is None:
        return f"answered ({row['latency_s']:.2f} s)"
    word = "pass" if row["passed"] else "FAIL"
    detail = f": {_short(row['detail'])}" if row["detail"] else ""
    return f"{word} ({row['latency_s']:.2f} s){detail}"


def _item_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    models = {n: m for n, m in report["models"].items() if m["items"]}
    by_model = {name: {row["id"]: row for row in model["items"]} for name, model in models.items()}
    first = next(iter(models.values()), None)
    rows = []
    for item in first["items"] if first else []:
        rows.append([item["id"], item["check"],
                     *(_verdict(by_model[name][item["id"]]) for name in models)])
    return ["item", "check", *models], rows


def render_evaluation_html(report: Mapping[str, Any], figures: Mapping[str, tuple[str, Figure]],
                           title: str = "Model evaluation") -> str:
    """The page: settings, the comparison table, pass rates per check, every item's verdict
    per model, then the figures. No external assets."""
    suite, settings = report["suite"], report["settings"]
    meta = (f'<p class="meta">suite {esc(suite.get("path") or "(given items)")} '
            f'({suite["items"]} items, sha256 {esc((suite.get("sha256") or "–")[:12])}); '
            + ", ".join(f"{esc(k)} {esc(v)}" for k, v in settings.items())
            + f'; run {esc(report["started_at"])}, {num(report["duration_s"])} s</p>')
    failing = [n for n, m in report["models"].items() if m["status"] in ("unreachable", "error")]
    note = (f'<p class="bad">Not scored (endpoint failed): {esc(", ".join(failing))}.</p>'
            if failing else "")
    comparison = table_html(
        "Models", ["model", "served id", "status", "pass rate", "passed", "judged", "errors",
                   "asar valid", "p50 s", "p95 s", "mean s", "tokens/s", "total s"],
        _comparison_rows(report))
    models = _answered(report)
    checks = sorted({c for m in models.values() for c in m["summary"]["pass_rate_by_check"]})
    per_check = table_html("Pass rate by check", ["model", *checks],
                           ([name, *(m["summary"]["pass_rate_by_check"].get(c) for c in checks)]
                            for name, m in models.items()))
    headers, rows = _item_rows(report)
    items = table_html("Items (verdict, latency, why it failed)", headers, rows)
    images = "".join(figure_html(name, caption, fig) for name, (caption, fig) in figures.items())
    return page_html(title, f"{meta}<h2>Comparison</h2>{note}{comparison}{per_check}"
                            f"<h2>Plots</h2>{images}<h2>Items</h2>{items}")


def evaluation_report_html(report: Mapping[str, Any]) -> str:
    """The whole page for one evaluation report."""
    return render_evaluation_html(report, evaluation_figures(report))
