"""The study report: ``report.md`` and a self-contained ``report.html`` (images embedded).

Contents: the KPI table with 95 % intervals and the winner per KPI; paired
differences against the reference; win shares; plots (cost breakdown per
policy, service vs waste frontier, on-hand and lost-sales trajectories of a
few store-SKUs, transfer flows on a map of the city, and, when asked, learning
curves of RL runs against the heuristics' level); and the scenario, seeds and
configuration needed to reproduce the study.

A learning curve is read from what ``experiments.train`` leaves in its output
directory: ``config.yaml`` (how the run evaluates: env, held-out seeds,
episode length), the TensorBoard event files under ``tb/<run>_<n>/`` where
every periodic held-out evaluation is a scalar ``eval/<metric>`` at the
training timestep it ran, and ``result.json`` (the final evaluation).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from experiments.stats import mean_ci
from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]

# KPIs shown in the table, and whether higher is better
# KPI -> True if higher is better, False if lower is, None if neither (no winner named)
TABLE_KPIS: dict[str, bool | None] = {
    "profit": True,
    "profit_per_day": True,
    "fill_rate": True,
    "stockout_rate": False,
    "lost_sales": False,
    "waste_rate": False,
    "waste_value": False,
    "inventory_turnover": True,
    "days_of_inventory": False,
    "sell_through_rate": True,
    "slow_moving_share": False,
    "revenue": True,
    "transfers_units": None,  # a means, not an end: its effect is in profit and waste
    "courier_cost": False,
    "order_response_hours": False,
    "avg_cost_per_period": False,
    "avg_order_cost_per_period": False,
    "avg_lost_sales_cost_per_period": False,
    "avg_waste_cost_per_period": False,
    "avg_holding_cost_per_period": False,
}


def kpi_winners(summary: dict, names: list[str], kpis: list[str]) -> dict[str, str]:
    """The best policy per KPI by its mean; "tie" when several share the best mean.

    KPIs with no better direction (``TABLE_KPIS`` None) get no winner.
    """
    winners = {}
    for k in kpis:
        means = {n: summary[n][k]["mean"] for n in names if np.isfinite(summary[n][k]["mean"])}
        if means and TABLE_KPIS[k] is not None:
            best = (max if TABLE_KPIS[k] else min)(means.values())
            leaders = [n for n, m in means.items() if np.isclose(m, best, rtol=1e-9, atol=1e-9)]
            winners[k] = leaders[0] if len(leaders) == 1 else "tie"
    return winners


COST_TERMS = (
    "cost_of_goods_sold",
    "waste_value",
    "damaged_value",
    "holding_cost",
    "disposal_cost",
    "truck_cost",
    "courier_cost",
)
PERISHABLE_COSTS = (
    "avg_order_cost_per_period",
    "avg_lost_sales_cost_per_period",
    "avg_waste_cost_per_period",
    "avg_holding_cost_per_period",
)


def _legacy_name(metric: str) -> str:
    """What runs of earlier versions called ``eval/<kpi>``: ``eval_<kpi>`` (result.json)."""
    return "eval_" + metric.removeprefix("eval/")


def _curve_tags(metric: str) -> tuple[str, str]:
    """The TensorBoard tags a metric's curve may have: today's, then the older doubled one."""
    return metric, "eval/" + _legacy_name(metric)


# metric of train.py's periodic evaluation (TensorBoard tag, MLflow metric, result.json key)
# -> (the same KPI in a replication's result, higher is better)
CURVE_METRICS = {
    "eval/profit_per_day": ("profit_per_day", True),
    "eval/avg_cost_per_period": ("avg_cost_per_period", False),
}


@dataclass(frozen=True)
class LearningCurve:
    """The periodic held-out evaluations of one ``experiments.train`` run.

    Attributes:
        name: the label in the report (the ``learning_curves`` key).
        train_dir: the run's ``output_dir``.
        metric: ``eval/profit_per_day`` (SKU-agent env) or ``eval/avg_cost_per_period``.
        timesteps, values: one point per periodic evaluation, in training order.
        train_cfg: the run's ``config.yaml`` (env, evaluation seeds, episode length).
        final: (timesteps, value) of the final evaluation in ``result.json``, if any.
        baselines: heuristic name -> its level of the same metric on the same evaluation.
        note: why baselines are missing, if they are.
    """

    name: str
    train_dir: Path
    metric: str
    timesteps: list[int]
    values: list[float]
    train_cfg: dict[str, Any]
    final: tuple[int, float] | None = None
    baselines: dict[str, float] = field(default_factory=dict)
    note: str = ""

    @property
    def higher_is_better(self) -> bool:
        return CURVE_METRICS[self.metric][1]

    @property
    def kpi(self) -> str:
        """The KPI of a replication that matches ``metric``."""
        return CURVE_METRICS[self.metric][0]

    @property
    def env(self) -> dict[str, Any]:
        return self.train_cfg["env"]

    @property
    def eval_seeds(self) -> list[int]:
        return [int(s) for s in self.train_cfg["eval"]["seeds"]]

    def evaluation(self) -> str:
        """How the run evaluates, in words (the baselines are evaluated the same way)."""
        env = self.env
        if env["kind"] == "sku_agents":
            warmup = env.get("kwargs", {}).get("warmup_days", 3)
            return (
                f"`{env['scenario']}`, seeds {self.eval_seeds}, {warmup} warm-up days then"
                f" {env['episode_days']} reported days per seed"
            )
        return (
            f"`{env.get('id', env['name'])}`, seeds {self.eval_seeds},"
            f" {self.train_cfg['eval']['periods']} periods per seed after 100 burn-in periods"
        )


def _resolve(path: str | Path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else REPO / path


def _latest_tb_run(tb_dir: Path) -> Path | None:
    """The newest ``<name>_<n>`` folder: stable-baselines3 numbers runs and a resumed run
    keeps writing into its folder, so the highest number belongs to the saved model."""
    runs = [
        (int(m.group(1)), d)
        for d in tb_dir.glob("*_*")
        if d.is_dir() and (m := re.fullmatch(r".*_(\d+)", d.name))
    ]
    return max(runs)[1] if runs else None


def read_learning_curve(name: str, train_dir: str | Path) -> LearningCurve:
    """The periodic evaluations of a training run, from its TensorBoard events.

    Raises:
        ConfigError: the folder is not a training run's output, or it holds no periodic
            evaluation (TensorBoard off, or training stopped before ``eval.every_steps``).
    """
    path = _resolve(train_dir)
    field_name = f"learning_curves.{name}"
    config = path / "config.yaml"
    if not config.exists():
        raise ConfigError(
            field_name, str(path), "the output_dir of an experiments.train run (with config.yaml)"
        )
    tb_run = _latest_tb_run(path / "tb")
    if tb_run is None:
        raise ConfigError(
            field_name,
            str(path),
            "a run trained with TensorBoard on (logger.tensorboard=true, the default of"
            " logger=mlflow): no tb/<run>_<n>/ event files found",
        )
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tb_run), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    # eval/profit_per_day; runs of earlier versions say eval/eval_profit_per_day
    found = [(m, t) for m in CURVE_METRICS for t in _curve_tags(m) if t in tags]
    if not found:
        raise ConfigError(
            field_name,
            str(tb_run),
            f"event files with one of {[_curve_tags(m)[0] for m in CURVE_METRICS]} (none: the"
            " run stopped before its first periodic evaluation, eval.every_steps)",
        )
    metric, tag = found[0]
    points: dict[int, float] = {}
    for event in events.Scalars(tag):
        points[int(event.step)] = float(event.value)  # a resumed run may repeat a step
    steps = sorted(points)
    result = path / "result.json"
    final = None
    if result.exists():
        data = json.loads(result.read_text())
        key = next((k for k in (metric, _legacy_name(metric)) if k in data), None)
        if key is not None:
            final = (int(data["timesteps"]), float(data[key]))
    return LearningCurve(
        name=name,
        train_dir=path,
        metric=metric,
        timesteps=steps,
        values=[points[s] for s in steps],
        train_cfg=OmegaConf.to_container(OmegaConf.load(config), resolve=True),
        final=final,
    )


def _curve_plot(curve: LearningCurve) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve.timesteps, curve.values, "o-", color="black", label=f"{curve.name} (periodic)")
    if curve.final is not None:
        ax.plot(*curve.final, "*", color="black", markersize=12, label=f"{curve.name} (final)")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, level) in enumerate(sorted(curve.baselines.items(), key=lambda kv: -kv[1])):
        ax.axhline(
            level,
            ls="--",
            lw=1.2,
            color=colors[i % len(colors)],
            label=f"{name} {level:,.0f}" if abs(level) >= 1000 else f"{name} {level:,.2f}",
        )
    ax.set_xlabel("training timesteps")
    ax.set_ylabel(
        curve.kpi.replace("_", " ")
        + (" (higher is better)" if curve.higher_is_better else " (lower is better)")
    )
    ax.set_title(f"Learning curve of {curve.name}: held-out evaluation during training")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return _png(fig)


@dataclass(frozen=True)
class SearchCurve:
    """A CMA-ES search's progress (``experiments.cmaes``'s ``result.json``).

    Attributes:
        name: the label in the report (the ``search_curves`` key).
        path: the search's ``result.json``.
        search: what was searched (orders, transfer_rules, pair_scorer).
        start: the starting point's training profit per day (the rule's).
        history: per generation: best, mean, best_so_far, sigma.
        train_seeds: the seeds every candidate shared.
    """

    name: str
    path: Path
    search: str
    start: float
    history: list[dict[str, float]]
    train_seeds: list[int]


def read_search_curve(name: str, path: str | Path) -> SearchCurve:
    """A search's curve from its ``result.json`` (or its output_dir).

    Raises:
        ConfigError: no CMA-ES result there.
    """
    path = _resolve(path)
    path = path / "result.json" if path.is_dir() else path
    try:
        data = json.loads(path.read_text())
        return SearchCurve(
            name=name,
            path=path,
            search=str(data.get("search", "orders")),
            start=float(data["neutral_profit_per_day_train"]),
            history=list(data["history"]),
            train_seeds=[int(s) for s in data["train_seeds"]],
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            f"search_curves.{name}", str(path), f"an experiments.cmaes result.json ({err})"
        ) from err


def _search_plot(curves: Sequence[SearchCurve]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.4), squeeze=False)
    for ax, c in zip(axes[0], curves, strict=True):
        gens = [int(h["generation"]) for h in c.history]
        ax.plot(gens, [h["best_so_far"] for h in c.history], "o-", color="black", label="best")
        ax.plot(gens, [h["mean"] for h in c.history], ".-", color="grey", label="population mean")
        ax.axhline(c.start, ls="--", color="tab:red", label=f"start {c.start:,.0f}")
        ax.set_title(f"{c.name} ({c.search})", fontsize=9)
        ax.set_xlabel("generation")
        ax.set_ylabel("profit/day, training seeds")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def _search_section(curves: Sequence[SearchCurve]) -> list[str]:
    md = [
        "",
        "## Search curves (CMA-ES on chain profit)",
        "",
        "Each generation's best-so-far and population mean profit per day on the training"
        " seeds every candidate shared (common random numbers); dashed: the starting point"
        " (orders and transfer rules: the tuned rule itself; the pair scorer: its rules-like"
        " start, `PairScorerTransfers.initial_vector`).",
        "",
        "| search | what | training seeds | generations | start | best | gain |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in curves:
        best = max([h["best_so_far"] for h in c.history], default=c.start)
        gain = 100.0 * (best - c.start) / abs(c.start) if c.start else float("nan")
        md.append(
            f"| {c.name} | {c.search} | {c.train_seeds} | {len(c.history)} | {_fmt(c.start)}"
            f" | {_fmt(best)} | {gain:+.2f} % |"
        )
    return [*md, "", "![search_curves](search_curves.png)"]


def _plot_key(name: str) -> str:
    return "learning_curve_" + re.sub(r"[^A-Za-z0-9_-]+", "_", name)


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"


def _ci_cell(v: dict[str, float]) -> str:
    return f"{_fmt(v['mean'])} [{_fmt(v['ci_low'])}, {_fmt(v['ci_high'])}]"


def headline(outcome: dict, objective: str, higher_is_better: bool) -> str:
    """One sentence naming who won on the objective, by how much, and how sure.

    The winner is the best finite mean of the objective; it is compared with the runner-up on
    the same seeds (a paired 95 % interval of the winner's advantage, so gap and interval
    carry the same sign), per day where the study reports per-day profit.
    """
    summary, per_rep = outcome["summary"], outcome["per_replication"]
    first = per_rep[next(iter(per_rep))]
    measure = "profit_per_day" if objective == "profit" and "profit_per_day" in first else objective
    unit = {"profit_per_day": "profit/day", "avg_cost_per_period": "cost/period"}.get(
        measure, measure
    )
    means = {n: summary[n][measure]["mean"] for n in summary}
    finite = {n: m for n, m in means.items() if np.isfinite(m)}
    left_out = sorted(set(means) - set(finite))
    aside = f" ({', '.join(left_out)}: no finite {measure}, not ranked)" if left_out else ""
    if not finite:
        return f"No policy has a finite {measure}{aside}."
    ranked = sorted(finite, key=finite.__getitem__, reverse=higher_is_better)
    if len(ranked) < 2:
        return f"Only **{ranked[0]}** was ranked: {measure} {_fmt(finite[ranked[0]])}{aside}."
    best, second = ranked[:2]
    if np.isclose(finite[best], finite[second], rtol=1e-9, atol=1e-9):
        return f"**{best}** and **{second}** tie on {measure} ({_fmt(finite[best])}){aside}."
    sign = 1.0 if higher_is_better else -1.0  # the winner's advantage: more profit, less cost
    advantage = sign * (np.asarray(per_rep[best][measure]) - np.asarray(per_rep[second][measure]))
    diff = mean_ci(advantage)
    base = abs(finite[second])
    pct = f" ({diff['mean'] / base * 100:+.1f} %)" if base > 0 else ""
    gap = f"{_fmt(diff['mean'])} {unit}{'' if higher_is_better else ' less'}{pct}"
    n = len(advantage)
    if n < 2:
        return f"**{best}** leads **{second}** by {gap} on 1 seed: no interval{aside}."
    interval = f"95 % CI of the paired difference [{_fmt(diff['ci_low'])}, {_fmt(diff['ci_high'])}]"
    if diff["ci_low"] > 0:
        return f"**{best}** beats **{second}** by {gap}; {interval} over {n} seeds{aside}."
    return (
        f"**{best}** is ahead of **{second}** by {gap}; {interval} over {n} seeds, which"
        f" includes zero: no significant difference{aside}."
    )


def study_inputs(cfg: DictConfig) -> list[tuple[str, Path]]:
    """The files the study read besides its config: tuned parameters and trained models."""
    from policies.configs import tuned_file

    files: list[tuple[str, Path]] = []
    if cfg.get("tuned"):
        for name in cfg.policies:
            path = tuned_file(name, cfg)
            if path.exists():
                files.append((f"{name} tuned parameters", path))
    models = OmegaConf.to_container(cfg.rl_models, resolve=True) if cfg.get("rl_models") else {}
    for name, model in models.items():
        files += [(f"{name} {where}", path) for where, path in _paths_in(model)]
        # rules the model's env builds from a tuning result (tuned_rule, tuned_transfers)
        files += [(f"{name} {where}", path) for where, path in _tuned_files_in(model)]
    return files


def _paths_in(node: Any, where: str = "") -> list[tuple[str, Path]]:
    """Every ``*path`` value under ``node`` that names a file: (its dotted key, the file)."""
    found: list[tuple[str, Path]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{where}.{key}" if where else str(key)
            if isinstance(value, str) and str(key).endswith("path") and _resolve(value).is_file():
                found.append((dotted, _resolve(value)))
            else:
                found += _paths_in(value, dotted)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths_in(value, f"{where}[{i}]")
    return found


def _tuned_files_in(node: Any, where: str = "") -> list[tuple[str, Path]]:
    """Tuning results a ``policies.configs.tuned_rule``/``tuned_transfers`` entry reads."""
    found: list[tuple[str, Path]] = []
    if isinstance(node, dict):
        target = str(node.get("_target_", ""))
        if target in ("policies.configs.tuned_rule", "policies.configs.tuned_transfers"):
            name = node.get("name", "transfer_rules")
            tuned_dir = _resolve(node.get("tuned_dir") or "reports/baseline")
            path = tuned_dir / str(node.get("scenario", "")) / f"{name}.json"
            if path.is_file():
                found.append((where or "tuned", path))
        for key, value in node.items():
            found += _tuned_files_in(value, f"{where}.{key}" if where else str(key))
    return found


def reproduce_section(cfg: DictConfig, out_dir: Path) -> list[str]:
    """How to rerun exactly this study: its resolved config (written beside the report as
    ``study.yaml``) and the checksums of the files it read."""
    (out_dir / "study.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    where = out_dir.relative_to(REPO) if out_dir.is_relative_to(REPO) else out_dir
    md = [
        "",
        "## Reproduce",
        "",
        "From the repository root, with the files below unchanged (same commit):",
        "",
        "```bash",
        f"python -m experiments.evaluate --config-dir {where} --config-name study",
        "```",
        "",
    ]
    inputs = study_inputs(cfg)
    if inputs:
        md += ["| input | file | sha256 |", "|---|---|---|"]
        for label, path in inputs:
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
            md.append(f"| {label} | `{shown}` | `{digest}` |")
        md.append("")
    md += [
        "Configuration (`study.yaml`):",
        "",
        "```yaml",
        OmegaConf.to_yaml(cfg, resolve=True).rstrip(),
        "```",
    ]
    return md


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _plots(
    cfg: DictConfig, results: dict[str, list[dict]], outcome: dict, objective: str
) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = outcome["summary"]
    names = list(summary)
    plots: dict[str, bytes] = {}
    terms = PERISHABLE_COSTS if cfg.scenario == "perishable" else COST_TERMS
    fig, ax = plt.subplots(figsize=(7, 3.5))
    bottom = np.zeros(len(names))
    for term in terms:
        vals = np.array([summary[n].get(term, {"mean": 0.0})["mean"] for n in names])
        ax.bar(names, vals, bottom=bottom, label=term.replace("_", " "))
        bottom += vals
    ax.set_ylabel("cost (mean over replications)")
    ax.set_title("Cost breakdown per policy")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    plots["cost_breakdown"] = _png(fig)

    waste_key = "waste_rate" if cfg.scenario != "perishable" else "avg_waste_cost_per_period"
    fig, ax = plt.subplots(figsize=(5, 4))
    for n in names:
        f, w = summary[n]["fill_rate"], summary[n][waste_key]
        ax.errorbar(
            w["mean"],
            f["mean"],
            xerr=[[w["mean"] - w["ci_low"]], [w["ci_high"] - w["mean"]]],
            yerr=[[f["mean"] - f["ci_low"]], [f["ci_high"] - f["mean"]]],
            fmt="o",
            capsize=3,
        )
        ax.annotate(
            n, (w["mean"], f["mean"]), fontsize=7, xytext=(4, 4), textcoords="offset points"
        )
    ax.set_xlabel(waste_key.replace("_", " "))
    ax.set_ylabel("fill rate")
    ax.set_title("Service vs waste (95 % intervals)")
    plots["service_vs_waste"] = _png(fig)

    first = {n: results[n][0] for n in names}
    if any(r["trajectory"].get("on_hand") for r in first.values()):
        fig, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True)
        for n, r in first.items():
            on_hand = np.asarray(r["trajectory"].get("on_hand", []))
            lost = np.asarray(r["trajectory"].get("lost", []))
            if on_hand.size:
                axes[0].plot(on_hand.sum(axis=1), label=n)
                axes[1].plot(lost.sum(axis=1), label=n)
        axes[0].set_ylabel("on hand (tracked)")
        axes[1].set_ylabel("lost sales (tracked)")
        axes[1].set_xlabel("day of the reporting period (first replication)")
        axes[0].legend(fontsize=7)
        axes[0].set_title("Inventory and stock-outs of a few store-SKUs")
        plots["trajectories"] = _png(fig)

    flows = {n: r["transfer_flows"] for n, r in first.items() if r.get("transfer_flows")}
    if flows and cfg.scenario != "perishable":
        from sim.scenario import load_scenario

        net = load_scenario(cfg.scenario, tuple(cfg.scenario_overrides)).network
        pos = net.store_positions_km()
        name, flow = max(flows.items(), key=lambda kv: sum(kv[1].values()))
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(pos[:, 0], pos[:, 1], s=40, zorder=3)
        for i, s in enumerate(net.stores):
            ax.annotate(s.store_id, pos[i], fontsize=7, xytext=(3, 3), textcoords="offset points")
        biggest = max(flow.values())
        for pair, units in flow.items():
            o, d = (int(x) for x in pair.split("->"))
            ax.annotate(
                "",
                xy=pos[d],
                xytext=pos[o],
                arrowprops={"arrowstyle": "->", "lw": 0.5 + 3.5 * units / biggest, "alpha": 0.6},
            )
        ax.set_xlabel("km")
        ax.set_ylabel("km")
        ax.set_title(f"Transfers under {name} (first replication; width ∝ units)")
        ax.set_aspect("equal")
        plots["transfer_flows"] = _png(fig)
    return plots


def write_report(
    cfg: DictConfig,
    results: dict[str, list[dict]],
    outcome: dict,
    objective: str,
    seeds: list[int],
    learning_curves: Sequence[LearningCurve] = (),
    search_curves: Sequence[SearchCurve] = (),
    warnings: Sequence[str] = (),
) -> Path:
    """Write report.md, report.html, the PNGs and ``study.yaml`` (the resolved config the
    Reproduce block reruns); returns the path of report.md.

    Args:
        learning_curves: RL runs whose periodic evaluation is plotted against training
            timesteps, with their ``baselines`` as horizontal lines.
        warnings: caveats shown under the headline (``experiments.evaluate.study_warnings``).
    """
    out_dir = Path(cfg.report_dir)
    out_dir = out_dir if out_dir.is_absolute() else REPO / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = outcome["summary"]
    names = list(summary)
    kpis = [k for k in TABLE_KPIS if k in summary[names[0]]]
    plots = _plots(cfg, results, outcome, objective)
    curve_plots = {_plot_key(c.name): _curve_plot(c) for c in learning_curves}
    if search_curves:
        curve_plots["search_curves"] = _search_plot(search_curves)
    plots.update(curve_plots)
    for key, data in plots.items():
        (out_dir / f"{key}.png").write_bytes(data)

    winners = kpi_winners(summary, names, kpis)
    md = [
        f"# What-if: `{cfg.study}`",
        "",
        f"Scenario `{cfg.scenario}`, {len(seeds)} replications (seeds {seeds[0]}..{seeds[-1]},"
        f" the same demand for every policy), objective `{objective}`,"
        f" reference `{cfg.reference}`.",
        "",
        headline(outcome, objective, higher_is_better=objective != "avg_cost_per_period"),
        "",
        *[f"> **Warning:** {w}\n" for w in warnings],
        "## KPIs (mean [95 % interval])",
        "",
        "| KPI | " + " | ".join(names) + " | best |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for k in kpis:
        cells = [_ci_cell(summary[n][k]) for n in names]
        md.append(f"| {k} | " + " | ".join(cells) + f" | {winners.get(k, '')} |")
    md += [
        "",
        f"## Paired differences against `{cfg.reference}` (same seeds)",
        "",
        "| policy | " + " | ".join(kpis[:6]) + " |",
        "|---|" + "---|" * len(kpis[:6]),
    ]
    for n, diffs in outcome["paired_differences"].items():
        md.append(f"| {n} | " + " | ".join(_ci_cell(diffs[k]) for k in kpis[:6]) + " |")
    md += ["", "## Share of replications won (objective)", ""]
    md += [f"- {n}: {share:.0%}" for n, share in outcome["win_share"].items()]
    md += ["", "## Plots", ""] + [f"![{k}]({k}.png)" for k in plots if k not in curve_plots]
    if cfg.scenario != "perishable":
        from experiments.replicate import load_network_cached
        from experiments.transfer_accounts import transfer_accounts_section

        network = load_network_cached(cfg.scenario, tuple(cfg.scenario_overrides))
        md += transfer_accounts_section(cfg, results, tuple(s.store_id for s in network.stores))
    if learning_curves:
        md += _curve_section(learning_curves)
    if search_curves:
        md += _search_section(search_curves)
    md += reproduce_section(cfg, out_dir)
    text = "\n".join(md) + "\n"
    path = out_dir / "report.md"
    path.write_text(text)
    (out_dir / "report.html").write_text(_html(text, plots))
    return path


def _curve_section(curves: Sequence[LearningCurve]) -> list[str]:
    md = [
        "",
        "## Learning curves",
        "",
        "Each point is a periodic held-out evaluation during training (TensorBoard"
        " `eval/<metric>` in the run's `tb/`); the star is the final evaluation"
        " (`result.json`). Dashed lines: the heuristics of this study, with their tuned"
        " parameters, evaluated the same way (same scenario, seeds and days; a heuristic's"
        " warm-up days run under the heuristic itself).",
        "",
        "| run | metric | evaluation | evaluations | last | best baseline |",
        "|---|---|---|---|---|---|",
    ]
    for c in curves:
        pick = max if c.higher_is_better else min
        best = pick(c.baselines.items(), key=lambda kv: kv[1]) if c.baselines else None
        best_cell = f"{best[0]} {_fmt(best[1])}" if best else (c.note or "n/a")
        last = _fmt(c.values[-1]) if c.values else "n/a"
        md.append(
            f"| {c.name} (`{c.train_dir}`) | {c.metric} | {c.evaluation()} | {len(c.values)}"
            f" | {last} | {best_cell} |"
        )
    md += [""] + [f"![{_plot_key(c.name)}]({_plot_key(c.name)}.png)" for c in curves]
    return md


def _html(markdown: str, plots: dict[str, bytes]) -> str:
    """The report as one self-contained HTML page: markdown-it (CommonMark + GFM tables)
    renders it; every plot's PNG is inlined as a data URI so the page travels alone."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = renderer.parse(markdown)
    for token in tokens:
        for child in token.children or ():
            src = child.attrGet("src") if child.type == "image" else None
            key = str(src).removesuffix(".png") if src else None
            if key in plots:
                data = base64.b64encode(plots[key]).decode()
                child.attrSet("src", f"data:image/png;base64,{data}")
    body = renderer.renderer.render(tokens, renderer.options, {})
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 1em}"
        "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "th:first-child,td:first-child{text-align:left}"
        "table{border-collapse:collapse;font-size:12px;margin:1em 0}"
        "pre{background:#f4f4f4;padding:6px;overflow-x:auto}img{max-width:100%}"
    )
    title = html.escape(markdown.splitlines()[0].lstrip("# ").replace("`", ""))
    head = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{style}</style></head>"
    )
    return f"{head}<body>\n{body}</body></html>\n"
