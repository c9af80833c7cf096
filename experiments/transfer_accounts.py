"""The report's account of transfers: who gains (revenue sharing per store, with and
without transfers) and what they cost and save in CO2.

For every policy that moved units between stores, each replication's courier flows per
store pair are settled (``sim.settlement.settle``, terms from ``cfg.settlement``) and
added to the stores' simulated profit; "without transfers" is the study's reference
policy on the same seeds, so each store's gain is a paired difference with its 95 %
interval. The distribution of the stores' net units received shows whether transfers
drain some stores for others (``policies.fairness`` guards that). The carbon account
(``cfg.carbon``) gives the trips' emissions, the waste the transfers avoided and the net,
per store as a donor and per transfer pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from experiments.stats import mean_ci, paired_difference
from policies.fairness import net_flow_summary, net_flows_by_store
from sim.errors import ConfigError
from sim.ledger import PairFlow
from sim.settlement import CarbonTerms, SettlementTerms, carbon, settle

ALL_STORES_UP_TO = 20  # longer tables show the stores that gain and lose most
SHOWN_EACH_WAY = 5


def _terms(cfg: DictConfig, key: str, cls: type) -> Any:
    node = cfg.get(key)
    values = OmegaConf.to_container(node, resolve=True) if node is not None else {}
    allowed = list(cls.__dataclass_fields__)
    for name in values:
        if name not in allowed:
            raise ConfigError(f"{key}.{name}", values[name], f"one of the keys {allowed}")
    return cls(**values)


def settlement_terms(cfg: DictConfig) -> SettlementTerms:
    """``cfg.settlement`` as terms (defaults where absent; an unknown key refused by name)."""
    return _terms(cfg, "settlement", SettlementTerms)


def carbon_terms(cfg: DictConfig) -> CarbonTerms:
    """``cfg.carbon`` as terms (defaults where absent; an unknown key refused by name)."""
    return _terms(cfg, "carbon", CarbonTerms)


def _pairs(result: dict[str, Any]) -> dict[tuple[int, int], PairFlow]:
    out = {}
    for key, row in result.get("transfer_pairs", {}).items():
        origin, destination = (int(i) for i in key.split("->"))
        out[origin, destination] = PairFlow(**row)
    return out


def store_accounts(
    runs: list[dict[str, Any]], reference: list[dict[str, Any]] | None, n_stores: int,
    terms: SettlementTerms, carbon_of: CarbonTerms,
) -> dict[str, Any]:  # fmt: skip
    """Per store, over a policy's replications: profit with transfers after settlement,
    the settlement's parts and the carbon account (means), and the paired gain over the
    reference's profit on the same seeds (None without a reference)."""
    with_transfers, parts, co2, net_flows = [], [], [], []
    for run in runs:
        pairs = _pairs(run)
        net_flows.append(net_flows_by_store(run.get("transfer_pairs", {}), n_stores))
        settled = settle(pairs, n_stores, terms)
        with_transfers.append(np.asarray(run["store_profit"]) + settled["net"])
        parts.append(settled)
        co2.append(carbon(pairs, n_stores, carbon_of))
    with_arr = np.array(with_transfers)
    out: dict[str, Any] = {
        "with": with_arr.mean(axis=0),
        **{k: np.mean([p[k] for p in parts], axis=0) for k in parts[0]},
        **{k: np.mean([c[1][k] for c in co2], axis=0) for k in co2[0][1]},
        "pairs": _mean_pairs([c[0] for c in co2]),
        "net_flow": np.mean(net_flows, axis=0),
        "gain": None,
    }
    if reference is not None and all("store_profit" in r for r in reference):
        without = np.array([r["store_profit"] for r in reference])
        out["without"] = without.mean(axis=0)
        out["gain"] = [paired_difference(with_arr[:, s], without[:, s]) for s in range(n_stores)]
        out["chain_gain"] = paired_difference(with_arr.sum(axis=1), without.sum(axis=1))
    return out


def _mean_pairs(per_run: list[dict[tuple[int, int], dict[str, float]]]) -> dict:
    """Per pair, each field's mean over the replications (a pair absent in one counts 0)."""
    keys = sorted({k for run in per_run for k in run})
    fields = ("units", "trip_co2_kg", "waste_avoided_co2e_kg", "net_co2e_kg")
    return {
        k: {f: float(np.mean([run.get(k, {}).get(f, 0.0) for run in per_run])) for f in fields}
        for k in keys
    }


def _shown_stores(order: np.ndarray) -> list[int]:
    if len(order) <= ALL_STORES_UP_TO:
        return [int(s) for s in order]
    return [int(s) for s in (*order[:SHOWN_EACH_WAY], *order[-SHOWN_EACH_WAY:])]


def transfer_accounts_section(
    cfg: DictConfig, results: dict[str, list[dict]], store_ids: tuple[str, ...]
) -> list[str]:
    """The report's markdown lines (none when no policy moved a unit)."""
    terms, carbon_of = settlement_terms(cfg), carbon_terms(cfg)
    reference = results.get(cfg.reference)
    if reference is not None and any(_pairs(r) for r in reference):
        reference = None  # the reference moves units itself: no "without transfers" here
    md: list[str] = []
    for name, runs in results.items():
        if not runs or not all("store_profit" in r for r in runs) or not any(map(_pairs, runs)):
            continue
        acc = store_accounts(runs, reference, len(store_ids), terms, carbon_of)
        md += _policy_lines(cfg, name, acc, store_ids, terms, carbon_of, runs)
    return md


def _policy_lines(
    cfg: DictConfig, name: str, acc: dict[str, Any], store_ids: tuple[str, ...],
    terms: SettlementTerms, carbon_of: CarbonTerms, runs: list[dict[str, Any]],
) -> list[str]:  # fmt: skip
    fmt = "{:,.0f}".format
    md = [
        "",
        f"## Transfers of `{name}`: who gains (revenue sharing) and CO2",
        "",
        f"Settlement per transfer: the donor is paid cost × {1 + terms.donor_cost_markup:g}"
        f" + {terms.donor_margin_share:.0%} of the margin; the receiver pays that, the courier"
        f" and a platform fee of {terms.platform_fee_share:.1%} of the value at list price"
        " (`settlement:` in the config). Delivered units are taken as sold at list price."
        f" Means over {len(runs)} replications.",
        "",
    ]
    review = [r["kpis"] for r in runs if "transfer_alerts" in r.get("kpis", {})]
    if review:
        alerts = float(np.mean([k["transfer_alerts"] for k in review]))
        veto = float(np.mean([k["transfer_veto_rate"] for k in review]))
        auto = float(np.mean([k["transfer_automatic_share"] for k in review]))
        md += [
            f"Manager review: {alerts:,.1f} transfer alerts a replication, each shown with its"
            f" options; {veto:.0%} vetoed (nothing moved), {auto:.0%} ran without a decision"
            " (within the autonomy limit), the rest ran as the manager picked.",
            "",
        ]
    modes = [r["kpis"] for r in runs if "degradation_days_normal" in r.get("kpis", {})]
    if modes:
        names = ("normal", "high_confidence_only", "simple_matcher", "suggest_only")
        cells = ", ".join(
            f"{n.replace('_', ' ')} {np.mean([k[f'degradation_days_{n}'] for k in modes]):.1f}"
            f" days ({np.mean([k[f'degradation_units_{n}'] for k in modes]):,.0f} units"
            + (" listed, not sent)" if n == "suggest_only" else ")")
            for n in names
        )
        md += [f"Degradation modes (means per replication): {cells}.", ""]
    has_ref = acc["gain"] is not None
    if has_ref:
        gain = acc["chain_gain"]
        md += [
            f"Chain store profit with `{name}` after settlement minus `{cfg.reference}`"
            f" (without transfers, same seeds): {fmt(gain['mean'])}"
            f" [{fmt(gain['ci_low'])}, {fmt(gain['ci_high'])}].",
            "",
        ]
    gains = np.array([g["mean"] for g in acc["gain"]]) if has_ref else acc["net"]
    order = np.argsort(-gains, kind="stable")
    head = "| store | " + (f"without (`{cfg.reference}`) | " if has_ref else "")
    head += "with, after settlement | " + ("gain [95 %] | " if has_ref else "")
    head += "income as donor | paid as receiver | platform fee | courier | net settlement |"
    md += [head, "|---|" + "---|" * (head.count("|") - 2)]
    for s in _shown_stores(order):
        cells = [store_ids[s]]
        if has_ref:
            cells.append(fmt(acc["without"][s]))
        cells.append(fmt(acc["with"][s]))
        if has_ref:
            g = acc["gain"][s]
            cells.append(f"{fmt(g['mean'])} [{fmt(g['ci_low'])}, {fmt(g['ci_high'])}]")
        cells += [fmt(acc[k][s]) for k in ("donor_income", "receiver_payment", "platform_fee",
                                            "logistics", "net")]  # fmt: skip
        md.append("| " + " | ".join(cells) + " |")
    if len(store_ids) > ALL_STORES_UP_TO:
        md += ["", f"(the {SHOWN_EACH_WAY} stores that gain most and least of {len(store_ids)})"]
    flow = net_flow_summary(acc["net_flow"])
    md += [
        "",
        "Net units received by transfers per store (received − sent, mean per replication):"
        f" min {flow['min']:,.1f}, quartiles {flow['q25']:,.1f} / {flow['median']:,.1f} /"
        f" {flow['q75']:,.1f}, max {flow['max']:,.1f}; {flow['donor_share']:.0%} of stores are"
        f" net donors, {flow['receiver_share']:.0%} net receivers"
        f" ({flow['moved_units']:,.1f} units moved net).",
    ]
    trips, avoided, net = (
        float(acc[k].sum()) for k in ("trip_co2_kg", "waste_avoided_co2e_kg", "net_co2e_kg")
    )
    pairs = acc["pairs"]
    moved = [p for p in pairs.values() if p["units"] > 0]
    md += [
        "",
        f"CO2 (`carbon:` {carbon_of.unit_weight_kg:g} kg a unit, {carbon_of.waste_co2e_kg_per_kg:g}"
        f" kg CO2e per kg of food wasted): trips {trips:,.1f} kg, waste avoided {avoided:,.1f} kg"
        f" CO2e, net {net:,.1f} kg CO2e saved over {len(moved)} store pairs"
        + (f" ({net / len(moved):,.2f} kg a pair)." if moved else "."),
        "",
        "| donor store | trips, kg CO2 | waste avoided, kg CO2e | net saved, kg CO2e |",
        "|---|---|---|---|",
    ]
    donors = np.argsort(-acc["waste_avoided_co2e_kg"], kind="stable")
    donors = [int(s) for s in donors if acc["waste_avoided_co2e_kg"][s] > 0][:ALL_STORES_UP_TO]
    for s in donors:
        md.append(
            f"| {store_ids[s]} | {acc['trip_co2_kg'][s]:,.2f} |"
            f" {acc['waste_avoided_co2e_kg'][s]:,.2f} | {acc['net_co2e_kg'][s]:,.2f} |"
        )
    mean_net = mean_ci([p["net_co2e_kg"] for p in moved]) if moved else None
    if mean_net is not None:
        md += [
            "",
            f"Net CO2e saved per transfer pair: {mean_net['mean']:,.2f}"
            f" [{mean_net['ci_low']:,.2f}, {mean_net['ci_high']:,.2f}] kg (mean over pairs).",
        ]
    return md
