"""The quality_scoring run as one self-contained HTML page: summary tables from the
quality_report dict and PNG plots (score histograms per component and domain, domain mix
before/after, duplicate cluster sizes, top reject reasons) embedded as base64 data URIs, so
the single file works as an MLflow artifact with no assets beside it.

The figure functions build ``matplotlib.figure.Figure`` objects directly (no pyplot, no global
state, safe in worker threads)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from afs.atomic_dir import atomic_write
from afs.reports.html import (
    Bars,
    empty_figure,
    esc,
    figure_html,
    grouped_barh,
    new_figure,
    num,
    page_html,
    table_html,
)
from afs.samples.frame import METADATA_KEY, REJECT_REASON, REJECT_STEP

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COMPONENTS = ("electra", "asar", "entity", "length")
CLUSTER_KEY = "dup_cluster"
DUPLICATE_CODES = ("duplicate_of", "near_duplicate_of")
# reasons whose detail is one sample's id: the plot counts them under the code alone
ID_CODES = (*DUPLICATE_CODES, "seen_in_reference", "contaminated")
LABEL_WIDTH = 48  # characters of a reject reason shown on a bar label
MAX_DOMAINS = 20  # box plot / domain mix rows; past it the smallest share one "(other)" row
OTHER_DOMAINS = "(other)"


# ------------------------------------------------------------------ reading the frames


def _metadata(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if value is None or (isinstance(value, float) and value != value) or value in ("", "None"):
        return {}
    try:
        parsed = orjson.loads(value)
    except (orjson.JSONDecodeError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _metadata_column(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if METADATA_KEY not in frame.columns:
        return [{} for _ in range(len(frame))]
    return [_metadata(value) for value in frame[METADATA_KEY]]


def score_table(scored: pd.DataFrame) -> pd.DataFrame:
    """One row per scored sample: ``domain``, ``overall`` and each component present in
    ``_metadata.quality.components`` (NaN where a sample lacks it)."""
    rows = []
    for meta, overall in zip(_metadata_column(scored), scored.get("quality_score", [None] * len(scored)),
                             strict=True):
        quality = meta.get("quality") or {}
        row = {"overall": quality.get("overall", overall)}
        row.update({k: v for k, v in (quality.get("components") or {}).items() if v is not None})
        rows.append(row)
    table = pd.DataFrame(rows, index=scored.index)
    if "overall" not in table:
        table["overall"] = float("nan")
    table = table.apply(pd.to_numeric, errors="coerce")
    ordered = ["overall", *[c for c in COMPONENTS if c in table],
               *sorted(c for c in table if c not in COMPONENTS and c != "overall")]
    table = table[ordered]
    table.insert(0, "domain", scored["domain"].astype(str) if "domain" in scored else "?")
    return table


def cluster_sizes(frames: Iterable[pd.DataFrame], rejects: pd.DataFrame | None = None) -> list[int]:
    """Sizes (members, kept one included) of every duplicate cluster of two or more.

    Read from ``_metadata.dup_cluster`` of ``frames`` (kept rows and rejects; a sample id
    counted once); where no row carries it, counted from ``duplicate_of:<id>`` /
    ``near_duplicate_of:<id>`` reject reasons (each target id plus its duplicates)."""
    members: dict[str, set[str]] = {}
    for frame in frames:
        if frame is None or not len(frame):
            continue
        ids = frame["sample_id"] if "sample_id" in frame else pd.Series(range(len(frame)))
        for sample_id, meta in zip(ids, _metadata_column(frame), strict=True):
            cluster = meta.get(CLUSTER_KEY)
            if cluster is not None:
                members.setdefault(str(cluster), set()).add(str(sample_id))
    sizes = [len(ids) for ids in members.values() if len(ids) > 1]
    if sizes or rejects is None or not len(rejects) or REJECT_REASON not in rejects:
        return sorted(sizes, reverse=True)
    targets = Counter(str(reason).split(":", 1)[1] for reason in rejects[REJECT_REASON]
                      if str(reason).split(":", 1)[0] in DUPLICATE_CODES and ":" in str(reason))
    return sorted((count + 1 for count in targets.values()), reverse=True)


_POSITION = re.compile(r"^\s*\d+(:\d+)*:\s*")


def reason_label(reason: Any, width: int = LABEL_WIDTH) -> str:
    """A reject reason without its per-sample parts: ``low_quality:0.42<0.6`` ->
    ``low_quality (< 0.6)``, ``duplicate_of:<id>`` -> ``duplicate_of`` (as
    ``near_duplicate_of``, ``seen_in_reference`` and ``contaminated``),
    ``asar_invalid:12:1: bad_label sub label ...`` -> ``asar_invalid: bad_label``; long
    labels end in an ellipsis."""
    text = str(reason)
    code, _, detail = text.partition(":")
    if code in ID_CODES or not detail:
        label = code
    elif code == "low_quality":
        label = f"low_quality (< {detail.split('<', 1)[1]})" if "<" in detail else code
    elif code == "asar_invalid":
        kind = _POSITION.sub("", detail).split()
        label = f"asar_invalid: {kind[0]}" if kind else code
    else:
        label = f"{code}: {_POSITION.sub('', detail)}"
    return label if len(label) <= width else label[: width - 1] + "…"


def reject_reason_counts(rejects: pd.DataFrame, top: int = 15) -> list[tuple[str, str, int]]:
    """(step, reason label, count) of the ``top`` most common reasons, largest first."""
    if not len(rejects) or REJECT_REASON not in rejects:
        return []
    steps = rejects[REJECT_STEP].astype(str) if REJECT_STEP in rejects else pd.Series("?", index=rejects.index)
    counts = Counter(zip(steps, (reason_label(r) for r in rejects[REJECT_REASON]), strict=True))
    return [(step, label, n) for (step, label), n in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]]


def domain_rows(counts: Mapping[str, int], limit: int = MAX_DOMAINS) -> dict[str, list[str]]:
    """The rows a per-domain figure draws, each with the domains it holds: the largest
    domains one row each and, when there are more than ``limit``, the rest together as one
    ``(other)`` row, so that every sample is drawn."""
    ranked = [d for d, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    if len(ranked) <= limit:
        return {d: [d] for d in ranked}
    return {**{d: [d] for d in ranked[:limit - 1]}, OTHER_DOMAINS: ranked[limit - 1:]}


# ------------------------------------------------------------------ figures


def plot_score_histograms(scored: pd.DataFrame, bins: int = 20,
                          min_score: float | None = None) -> Figure:
    """One histogram (0..1) per score: the overall score, then each component present."""
    table = score_table(scored)
    columns = [c for c in table.columns[1:] if table[c].notna().any()] or ["overall"]
    ncols = 2 if len(columns) in (2, 4) else min(3, len(columns))
    nrows = -(-len(columns) // ncols)
    figure = new_figure(4.2 * ncols, 3.0 * nrows)
    axes_grid = figure.subplots(nrows, ncols, squeeze=False)
    edges = [i / bins for i in range(bins + 1)]
    for axes, column in zip(axes_grid.flat, columns, strict=False):
        values = table[column].dropna()
        axes.hist(values, bins=edges, color="#4C72B0" if column == "overall" else "#55A868",
                  edgecolor="white")
        if min_score is not None and column == "overall":
            axes.axvline(min_score, color="#C44E52", linestyle="--", label=f"min_score {min_score}")
            axes.legend(fontsize=8, loc="upper left")
        mean = f", mean {values.mean():.2f}" if len(values) else ""
        axes.set_title(f"{column} (n={len(values)}{mean})", fontsize=10)
        axes.set_xlim(0, 1)
        axes.set_xlabel("score", fontsize=9)
        axes.set_ylabel("samples", fontsize=9)
        axes.tick_params(labelsize=8)
    for axes in list(axes_grid.flat)[len(columns):]:
        axes.set_axis_off()
    figure.suptitle("Score distributions: overall and per component")
    return figure


def plot_scores_by_domain(scored: pd.DataFrame, min_score: float | None = None) -> Figure:
    """Horizontal box plots of the overall score per domain, highest median on top, with the
    sample count on each label."""
    table = score_table(scored).dropna(subset=["overall"])
    if not len(table):
        return empty_figure(new_figure(8, 2.5), "Overall score by domain", "no scored samples")
    by_domain = {str(d): g["overall"].to_numpy() for d, g in table.groupby("domain")}
    rows = domain_rows({d: len(v) for d, v in by_domain.items()})
    groups = {row: np.concatenate([by_domain[d] for d in members])
              for row, members in rows.items()}
    domains = list(groups)
    domains.sort(key=lambda d: pd.Series(groups[d]).median())
    figure = new_figure(9, 1.2 + 0.38 * len(domains))
    axes = figure.add_subplot()
    axes.boxplot([groups[d] for d in domains], vert=False, widths=0.6,
                 tick_labels=[f"{d} (n={len(groups[d])})" for d in domains],
                 medianprops={"color": "#C44E52"}, flierprops={"markersize": 3})
    xlabel = "overall quality score"
    if min_score is not None:  # named in the label: a legend would cover outliers
        axes.axvline(min_score, color="#C44E52", linestyle="--", linewidth=1)
        xlabel += f" (dashed line: min_score {min_score})"
    axes.set_xlim(0, 1)
    axes.set_xlabel(xlabel)
    axes.tick_params(labelsize=9)
    axes.grid(axis="x", alpha=0.3)
    title = "Overall score by domain"
    if len(groups) > len(domains):
        title += f" ({len(domains)} largest of {len(groups)} domains)"
    axes.set_title(title)
    return figure


def plot_domain_mix(before: Mapping[str, int], after: Mapping[str, int]) -> Figure:
    """Horizontal grouped bars of rows per domain before (scored) and after (kept)
    filtering, labelled with the count and the share kept."""
    rows = domain_rows({d: before.get(d, 0) + after.get(d, 0) for d in {*before, *after}})
    if not rows:
        return empty_figure(new_figure(8, 2.5), "Domain mix before and after", "no samples")
    domains = list(rows)
    b = [sum(before.get(d, 0) for d in members) for members in rows.values()]
    a = [sum(after.get(d, 0) for d in members) for members in rows.values()]
    return grouped_barh(
        "Domain mix before (scored) and after (kept) — labels: kept rows (share kept)", domains,
        [Bars(f"before ({sum(before.values())} rows)", b, [str(n) for n in b], "#8FA8C8"),
         Bars(f"after ({sum(after.values())} rows)", a,
              [f"{n} ({100 * n / m:.0f} %)" if m else str(n) for n, m in zip(a, b, strict=True)],
              "#4C72B0")],
        "samples")


def plot_cluster_sizes(sizes: Sequence[int]) -> Figure:
    """Number of duplicate clusters of each size (members, the kept one included)."""
    if not sizes:
        return empty_figure(new_figure(8, 2.5), "Duplicate cluster sizes",
                            "no duplicate clusters")
    counts = Counter(sizes)
    figure = new_figure(8, 3.5)
    axes = figure.add_subplot()
    xs = sorted(counts)
    bars = axes.bar([str(x) for x in xs], [counts[x] for x in xs], color="#8172B2", width=0.6)
    axes.bar_label(bars, fontsize=8)
    axes.set_xlim(-0.6, max(len(xs), 4) - 0.4)  # one size alone is not one page-wide bar
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(counts.values()) * 1.15)
    axes.set_xlabel("cluster size (samples, kept one included)")
    axes.set_ylabel("clusters")
    axes.set_title(f"Duplicate cluster sizes ({len(sizes)} clusters, "
                   f"{sum(sizes) - len(sizes)} samples dropped)")
    return figure


def plot_reject_reasons(reasons: Sequence[tuple[str, str, int]]) -> Figure:
    """Horizontal bars of the most common reject reasons, coloured by step."""
    if not reasons:
        return empty_figure(new_figure(8, 2.5), "Top reject reasons", "nothing was rejected")
    rows = list(reversed(reasons))  # largest on top
    steps = sorted({step for step, _, _ in rows})
    palette = ["#C44E52", "#DD8452", "#8172B2", "#937860", "#DA8BC3", "#8C8C8C"]
    colours = {step: palette[i % len(palette)] for i, step in enumerate(steps)}
    figure = new_figure(9, 1.3 + 0.4 * len(rows))
    axes = figure.add_subplot()
    bars = axes.barh(range(len(rows)), [n for _, _, n in rows],
                     color=[colours[step] for step, _, _ in rows])
    axes.bar_label(bars, fontsize=8, padding=2)
    axes.set_yticks(range(len(rows)), [label for _, label, _ in rows], fontsize=9)
    counts = [n for _, _, n in rows]
    if max(counts) >= 20 * min(counts):  # one reason dwarfs the rest: log scale shows them all
        from matplotlib.ticker import ScalarFormatter

        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(ScalarFormatter())  # 1, 10, 100 rather than 10^k
        axes.set_xlim(0.8, max(counts) * 2.5)
        axes.set_xlabel("rejected samples (log scale)")
    else:
        axes.set_xlim(0, max(counts) * 1.12)
        axes.set_xlabel("rejected samples")
    from matplotlib.patches import Patch

    axes.legend(handles=[Patch(color=colours[s], label=s) for s in steps], title="step",
                fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside, never on a bar
    axes.set_title("Top reject reasons")
    return figure


def quality_figures(scored: pd.DataFrame, filtered: pd.DataFrame, rejects: pd.DataFrame,
                    min_score: float | None = None) -> dict[str, tuple[str, Figure]]:
    """Every plot of the report: name -> (caption, Figure), in page order."""
    sizes = cluster_sizes([filtered, rejects, scored], rejects)
    before = scored["domain"].astype(str).value_counts().to_dict() if len(scored) else {}
    after = filtered["domain"].astype(str).value_counts().to_dict() if len(filtered) else {}
    return {
        "scores": ("Score histograms: the overall score and each component present.",
                   plot_score_histograms(scored, min_score=min_score)),
        "scores_by_domain": ("Overall score by domain (box: quartiles, red line: median).",
                             plot_scores_by_domain(scored, min_score=min_score)),
        "domain_mix": ("Rows per domain before (scored) and after (kept) the quality steps.",
                       plot_domain_mix(before, after)),
        "duplicate_clusters": ("How many samples each duplicate cluster held.",
                               plot_cluster_sizes(sizes)),
        "reject_reasons": ("The most common reject reasons (ids and scores stripped).",
                           plot_reject_reasons(reject_reason_counts(rejects))),
    }


# ------------------------------------------------------------------ the page

def render_quality_html(report: Mapping[str, Any], figures: Mapping[str, tuple[str, Figure]],
                        title: str = "Quality scoring report") -> str:
    """The page: summary cards and tables from ``report`` (the quality_report dict), then
    each figure as an embedded PNG. No external assets."""
    accounted = report.get("all_rows_accounted_for")
    cards = [("input", report.get("input")), ("kept", report.get("kept")),
             ("rejected", report.get("rejected")), ("mean score", report.get("mean_score"))]
    card_html = "".join(f'<div class="card"><div class="n">{num(v)}</div>'
                        f'<div class="l">{esc(k)}</div></div>' for k, v in cards)
    status = (f'<p class="{"ok" if accounted else "bad"}">'
              f'{"Every input sample is either kept or rejected with a reason." if accounted else "Not every input sample is accounted for (input ≠ kept + rejected)."}</p>')
    kept_by_domain = report.get("kept_by_domain") or {}
    rejects = report.get("rejects") or {}
    means = report.get("mean_score_by_domain") or {}
    profiles = report.get("profile_by_domain") or {}
    tables = "".join([
        table_html("Rejected by step", ["step", "samples"], rejects.get("step", {}).items()),
        table_html("Rejected by reason", ["reason", "samples"], rejects.get("reason", {}).items()),
        table_html("By domain", ["domain", "profile", "mean score", "kept"],
                       ((d, profiles.get(d, "–"), means.get(d), kept_by_domain.get(d, 0))
                    for d in sorted({*means, *kept_by_domain}))),
    ])
    images = "".join(figure_html(name, caption, fig) for name, (caption, fig) in figures.items())
    return page_html(title, f'<h2>Summary</h2><div class="cards">{card_html}</div>{status}'
                            f'<div class="tables">{tables}</div><h2>Plots</h2>{images}')


def quality_report_html(report: Mapping[str, Any], scored: pd.DataFrame, filtered: pd.DataFrame,
                        rejects: pd.DataFrame, min_score: float | None = None) -> str:
    """The whole page for one quality_scoring run."""
    return render_quality_html(report, quality_figures(scored, filtered, rejects, min_score))


def write_quality_html(path: str | Path, page: str) -> Path:
    """Write the page atomically (a half-written report never replaces a good one)."""
    path = Path(path)
    with atomic_write(path, "w") as handle:
        handle.write(page)
    return path
