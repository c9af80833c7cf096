"""Does a learned policy generalise? Variants it never saw, against rules re-tuned for each.

    python -m experiments.variants --learned outputs/runs/city_fresh_chain_seed0 --replications 30

For each variant of the scenario (Hydra overrides: store count, demand level,
SKU mix): the rules are tuned again on that variant's training seeds, and the
chain study's learned policy (``<learned>/learned.json``: its orders, its base
rule's tuning and its transfer planner, all frozen: no retraining) is evaluated
as it is against them on held-out seeds with common random numbers. Prints one
JSON line per variant (the learned policy's profit per day relative to the best
re-tuned rule, with the paired 95 % interval) and writes the table to
``<out>/variants.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from omegaconf import open_dict

from experiments.chain_study import LEARNED_FILE
from experiments.evaluate import evaluate
from experiments.tune_baselines import tune_baselines

REPO = Path(__file__).resolve().parents[1]


def _override_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_override_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_override_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def stores_override(drop: tuple[str, ...] = (), add: tuple[dict[str, Any], ...] = ()) -> str:
    """``network.stores=[...]``: city_fresh's stores without ``drop``, plus ``add``."""
    stores = yaml.safe_load((REPO / "configs/network/city_fresh.yaml").read_text())["stores"]
    kept = [s for s in stores if s["id"] not in drop] + list(add)
    return "network.stores=" + _override_value(kept)


NEW_STORES = tuple(
    {"id": f"S{13 + i}", "x_km": x, "y_km": y, "dc": "DC1", "issuing": "mixed",
     "fresh_first_share": 0.3}
    for i, (x, y) in enumerate([(4.6, -2.9), (-4.4, 0.6), (0.3, -4.8), (-1.2, 4.5)])
)  # fmt: skip
VARIANTS: dict[str, list[str]] = {
    # S07, S08, S10: the stores no DC transit time or promotion of the scenario names
    "stores_9": [stores_override(drop=("S07", "S08", "S10"))],
    "stores_16": [stores_override(add=NEW_STORES)],
    "demand_plus_30pct": ["demand.base_rate_generator.store_scale.median=1.3"],
    "demand_minus_30pct": ["demand.base_rate_generator.store_scale.median=0.7"],
    "another_sku_mix": [
        "demand.base_rate_generator.seed=23",
        "demand.base_rate_generator.by_category.leafy_vegetables.median=2.0",
        "demand.base_rate_generator.by_category.ambient.median=3.0",
    ],
}
RULES = ["perishable_base_stock", "transfer_rules"]


def run_variant(
    name: str,
    overrides: list[str],
    learned_dir: Path,
    out: Path,
    *,
    scenario: str = "city_fresh",
    replications: int = 30,
    days: int = 14,
    warmup_days: int = 7,
) -> dict[str, Any]:
    """Re-tune the rules on the variant, then evaluate them and the frozen learned policy."""
    from hydra import compose, initialize_config_dir

    tuned = tune_baselines(
        scenario, seeds=3, eval_seeds=1, days=days, warmup_days=warmup_days, policies=RULES,
        out=out / name / "tuning", overrides=overrides,
    )  # fmt: skip
    train = {n: r["train_profit_per_day"] for n, r in tuned["policies"].items()}
    reference = max(train, key=train.get)
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(
            config_name="evaluate",
            overrides=[
                "logger=none", f"study=variant_{name}", f"scenario={scenario}",
                f"policies={RULES}", f"reference={reference}",
                f"tuned_dir={out / name / 'tuning'}", f"replications={replications}",
                f"days={days}", f"warmup_days={warmup_days}",
                f"report_dir={out / name / 'report'}",
            ],
        )  # fmt: skip
    learned = learned_entry(learned_dir)
    learned["env_kwargs"]["overrides"] = list(overrides)
    with open_dict(cfg):
        cfg.scenario_overrides = overrides
        cfg.rl_models = {"learned": learned}
    result = evaluate(cfg)
    ref = result["policies"][reference]["profit_per_day"]["mean"]
    diff = result["paired_differences"]["learned"]["profit_per_day"]
    return {
        "variant": name,
        "overrides": overrides,
        "reference": reference,
        "reference_profit_per_day": ref,
        "learned_profit_per_day": result["policies"]["learned"]["profit_per_day"]["mean"],
        "learned_minus_reference": diff,
        "learned_vs_reference_pct": 100.0 * diff["mean"] / abs(ref),
        "seeds": result["seeds"],
    }


def learned_entry(learned_dir: Path) -> dict[str, Any]:
    """The chain study's learned policy (``learned.json``: model, frozen base rule tuning,
    transfer planner) as an ``rl_models`` entry."""
    from sim.errors import ConfigError

    path = Path(learned_dir) / LEARNED_FILE
    if not path.is_file():
        raise ConfigError(
            "--learned", str(learned_dir), f"a chain study's output_dir with {LEARNED_FILE}"
        )
    return json.loads(path.read_text())


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--learned",
        default="outputs/runs/city_fresh_chain_seed0",
        help=f"a chain study's output_dir (its {LEARNED_FILE})",
    )
    parser.add_argument("--out", default="outputs/variants")
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args(argv)
    rows = []
    for name in args.variants:
        row = run_variant(name, VARIANTS[name], Path(args.learned), Path(args.out),
                          replications=args.replications)  # fmt: skip
        print(json.dumps(row, default=float), flush=True)
        rows.append(row)
    table = [
        "| variant | best re-tuned rule | its profit/day | learned profit/day "
        "| learned − rule [95 % CI] | learned vs rule |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        d = row["learned_minus_reference"]
        table.append(
            f"| {row['variant']} | {row['reference']} | {row['reference_profit_per_day']:,.0f} "
            f"| {row['learned_profit_per_day']:,.0f} "
            f"| {d['mean']:+,.0f} [{d['ci_low']:+,.0f}, {d['ci_high']:+,.0f}] "
            f"| {row['learned_vs_reference_pct']:+.1f} % |"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "variants.md").write_text("\n".join(table) + "\n")
    return rows


if __name__ == "__main__":
    main()
