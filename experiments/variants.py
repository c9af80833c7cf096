"""Does a learned policy generalise? Variants it never saw, against rules re-tuned for each.

    python -m experiments.variants --learned outputs/runs/city_fresh_chain_seed0 --replications 30

For each variant of the scenario (Hydra overrides: demand level, SKU mix, ...):
the rules are tuned again on that variant's training seeds, and the learned
policy is evaluated as it is (its weights and its base rule's tuning are
frozen: no retraining) against them on held-out seeds with common random
numbers. Prints one JSON line per variant and a summary line: the learned
policy's profit per day relative to the best re-tuned rule, with the paired
95 % interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omegaconf import open_dict

from experiments.evaluate import evaluate
from experiments.replicate import linear_residual_model
from experiments.tune_baselines import tune_baselines

REPO = Path(__file__).resolve().parents[1]
VARIANTS: dict[str, list[str]] = {
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
    with open_dict(cfg):
        cfg.scenario_overrides = overrides
        cfg.rl_models = {
            "learned": linear_residual_model(
                learned_dir / "cmaes" / "policy.json",
                base_rule="perishable_base_stock",
                scenario=scenario,
                tuned_dir=learned_dir / "tuning",  # frozen: the tuning it was trained on
                overrides=overrides,
            )
        }
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


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--learned",
        default="outputs/runs/city_fresh_chain_seed0",
        help="a chain study's output_dir (its cmaes/ and tuning/ folders)",
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
    return rows


if __name__ == "__main__":
    main()
