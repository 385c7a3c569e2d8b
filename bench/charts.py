"""PNG charts of a profile's results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.stats import cdf  # noqa: E402


def _finish(fig, ax, path: Path, title: str, xlabel: str, legend: dict | None = None, grid_axis: str = "both") -> Path:
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis=grid_axis)
    if legend is not None:
        ax.legend(**legend)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_cdfs(path: Path, title: str, series: dict[str, list[float]]) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in series.items():
        if values:
            xs, ys = cdf(values)
            ax.plot(xs, ys, label=f"{label} (n={len(values)})")
    ax.set_ylabel("fraction of orders")
    return _finish(fig, ax, path, title, "milliseconds", {})


def confirmed_over_time(path: Path, title: str, confirm_s: list[float], rate_per_minute: float | None) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = sorted(confirm_s)
    ax.step(xs, range(1, len(xs) + 1), where="post", label="orders confirmed")
    if rate_per_minute and xs:
        ax.plot([xs[0], xs[-1]], [1, 1 + (xs[-1] - xs[0]) * rate_per_minute / 60], "--", label=f"{rate_per_minute:.0f} per minute")
    ax.set_ylabel("orders confirmed")
    return _finish(fig, ax, path, title, "seconds since the first order was offered", {})


def in_flight(path: Path, title: str, samples: list[tuple[float, int]], cap: int) -> Path:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if samples:
        t0 = samples[0][0]
        ax.step([(t - t0) / 1000 for t, _ in samples], [n for _, n in samples], where="post", label="consumer invocations in flight")
    ax.axhline(cap, color="red", linestyle="--", label=f"cap {cap}")
    ax.set_ylim(0, cap + 3)
    return _finish(fig, ax, path, title, "seconds", {"loc": "lower right"})


def bars(path: Path, title: str, values: dict[str, float], xlabel: str, reference: tuple[str, float] | None = None) -> Path:
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(values) + 1.5))
    names = list(values)
    ax.barh(names, [values[n] for n in names])
    if reference:
        ax.axvline(reference[1], color="red", linestyle="--", label=reference[0])
    ax.invert_yaxis()
    return _finish(fig, ax, path, title, xlabel, {} if reference else None, grid_axis="x")


def shortfall_vs_size(path: Path, title: str, rows: list[dict]) -> Path:
    """One panel per pair: shortfall (bps) against order size, one market order vs TWAP, each
    its median with the p10-p90 band, and the still market's price impact alone (dashed).
    An SVG without a date in it, so a rerun with the same numbers is the same file."""
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "solroute"}):  # text as text; stable ids
        fig, axes = plt.subplots(1, len(pairs), figsize=(5.5 * len(pairs), 4.5), squeeze=False)
        _shortfall_panels(axes[0], pairs, rows)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
    return path


def _shortfall_panels(axes, pairs: list[str], rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for ax, pair in zip(axes, pairs):
        mine = [r for r in rows if r["pair"] == pair]
        sizes = [r["sizeUsd"] for r in mine]
        for key, still, label, color in (("oneOrderBps", "oneOrder", "one market order", "tab:red"), ("twapBps", "twap", "TWAP", "tab:blue")):
            ax.plot(sizes, [r[key]["p50"] for r in mine], "o-", color=color, label=f"{label}: median")
            ax.fill_between(sizes, [r[key]["p10"] for r in mine], [r[key]["p90"] for r in mine], color=color, alpha=0.2, label=f"{label}: p10-p90")
            ax.plot(sizes, [r["stillMarketBps"][still] for r in mine], ":", color=color, label=f"{label}: impact alone (still market)")
        ax.set_xscale("log")
        ax.set_yscale("symlog", linthresh=10)  # from a few bps to thousands, negatives (better than arrival) too
        ax.set_ylabel("shortfall vs arrival price (bps)")
        ax.set_title(pair)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_xlabel("order size (USD at reference prices)")
