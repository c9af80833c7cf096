"""The reference yogurt case, timed as told, against the same demand without the transfer.

    python -m experiments.yogurt_case [--seed 2]

The case (a Saturday in a city of three community stores, ``yogurt_trio`` with the
overrides in ``CASE``): at 10:00 store A holds about 48 premium yogurts with four days of
life left and sells about 3 a day, B has about 5 left after a busy morning and a lunch
promotion from 11:30, C holds 12. The system raises the alert at 10:00 from the state
it sees then (``policies.plan_review.plan_options`` on the transfer rules' own scores),
matches receivers (10:02), shows the options (10:05); the manager confirms the best at
10:07 (``ManagerReview`` with no veto); the courier request is published at 10:10; the
simulated courier pool picks up and delivers with its own random delays (about 15
minutes to pick up, then the road at 20 km/h). The run then goes on in half-hour steps
until the yogurt's life is over, and the same seed is run again without the transfer
(common random numbers: the same demand to the unit).

Prints one JSON line: ``alert_h``, ``matched_h``, ``options_h``, ``confirmed_h``,
``published_h``, ``picked_up_h``, ``delivered_h``, ``promotion_h``, ``sold_out_h``
(hours from the Saturday's midnight; ``sold_out_h`` is when B ran out of the yogurt
after the delivery, null if it never did), ``units``, ``receiver``, ``alert_score``
(0-100), ``match`` (the chosen option's certainty, 0-100), ``options``, ``state_at_alert``,
``waste_avoided`` (units A did not throw away × their cost and disposal),
``extra_sales`` (the chain's revenue with the transfer minus without) and
``profit_difference`` (after the courier), in the scenario's currency, and ``timeline``:
the event trace of the case, the system's steps (noted with ``Simulation.note``) beside
the simulator's courier request, pickup and delivery and B's stock-out.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from policies.plan_review import ManagerReview, plan_options
from policies.sim_view import transfer_inputs_from_sim
from policies.transfers import TransferRules
from sim.engine import Simulation
from sim.enums import EventKind
from sim.scenario import build_demand_source, load_scenario
from sim.transfer import Transfer

SCENARIO = "yogurt_trio"
LUNCH = (11.5, 14.0)  # B's lunch promotion, hours of the Saturday
# the Saturday's opening state and B's lunch promotion (the other values are yogurt_trio's)
CASE = (
    "demand.start_date=2026-01-10",  # a Saturday: day 0
    "demand.tick_length_hours=0.5",
    "+demand.promotions=[{name:lunch_promotion,skus:[yogurt_premium],stores:[B],start_day:0,"
    f"days:1,lift:3.0,start_hour:{LUNCH[0]},end_hour:{LUNCH[1]}}}]",
    "demand.base_rate.B.yogurt_premium=32",  # 8 sold by 10:00 (the morning is half the day)
    "network.store_sku.overrides=[{store:A,initial_on_hand:49,recent_sales_units:3,"
    "daily_units_hint:3},{store:B,initial_on_hand:13,recent_sales_units:32,daily_units_hint:32},"
    "{store:C,initial_on_hand:14,recent_sales_units:6,daily_units_hint:6}]",
)
ALERT_H = 10.0
# minutes from the alert to each step of the system and the manager, as the case tells them
STEPS_MIN = {"matched_h": 2, "options_h": 5, "confirmed_h": 7, "published_h": 10}
STEP_H = 0.5  # the demand's tick: B's stock is watched at this resolution
TIMELINE = (
    EventKind.TRANSFER_ALERT, EventKind.TRANSFER_MATCH, EventKind.TRANSFER_OPTIONS,
    EventKind.MANAGER_DECISION, EventKind.TRANSFER_REQUEST, EventKind.COURIER_PICKUP,
    EventKind.COURIER_DELIVERY, EventKind.STOCK_OUT,
)  # fmt: skip
CASE_SEED = 2


def _store(sim: Simulation, store_id: str) -> int:
    return next(i for i, s in enumerate(sim.spec.stores) if s.store_id == store_id)


def run(seed: int, transfer: bool) -> dict[str, Any]:
    """One run of the case; ``transfer=False`` is the same demand with no transfer."""
    scenario = load_scenario(SCENARIO, CASE)
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=seed, trace=True)
    life_days = int(sim.spec.skus.shelf_life_days[0] - sim.spec.store_sku.initial_age_days.max())
    sim.run_until(ALERT_H)
    ids = tuple(s.store_id for s in sim.spec.stores)
    snap = sim.snapshot()
    sold = sim.counters_view().store.sold_units[:, 0]
    state = {
        sid: {"on_hand": int(snap.store_on_hand[i, 0]), "sold_today": int(sold[i])}
        for i, sid in enumerate(ids)
    }
    x = transfer_inputs_from_sim(sim, sim.expected_daily_units())
    alerts = plan_options(TransferRules(), x, ids, sim.spec.skus.ids)
    alert = next(a for a in alerts if ids[a.origin] == "A")
    reviewed = ManagerReview(veto_probability=0.0).decide([alert])[0]
    chosen = reviewed.chosen
    assert chosen is not None  # no veto
    out: dict[str, Any] = {
        "alert_h": ALERT_H,
        **{k: round(ALERT_H + m / 60.0, 3) for k, m in STEPS_MIN.items()},
        "promotion_h": LUNCH[0],
        "units": chosen.units,
        "receiver": ids[chosen.destination],
        "alert_score": round(100.0 * alert.options[0].score, 1),
        "match": round(100.0 * chosen.certainty, 1),
        "options": [o.reason for o in alert.options],
        "state_at_alert": state,
    }
    origin, receiver = chosen.origin, chosen.destination
    steps = [
        ("alert_h", EventKind.TRANSFER_ALERT, origin,
         f"{alert.surplus_units} {sim.spec.skus.ids[alert.sku]} will expire unsold within"
         f" {alert.life_left_days} days; score {out['alert_score']:.0f}/100"),
        ("matched_h", EventKind.TRANSFER_MATCH, receiver,
         f"{ids[receiver]} matched at {out['match']:.0f} % certainty"),
        ("options_h", EventKind.TRANSFER_OPTIONS, origin, f"{len(alert.options)} option(s) shown"),
        ("confirmed_h", EventKind.MANAGER_DECISION, origin,
         f"confirmed {chosen.units} units to {ids[receiver]}" if transfer else "vetoed"),
    ]  # fmt: skip
    for key, kind, store, detail in steps:  # the system's steps, in the simulator's trace
        sim.run_until(out[key])
        sim.note(kind, store, detail)
    sim.run_until(out["published_h"])
    if transfer:
        units = np.zeros(sim.spec.n_skus, dtype=np.int64)
        units[chosen.sku] = chosen.units
        sim.submit_transfers([Transfer(chosen.origin, chosen.destination, units)])
    b = _store(sim, out["receiver"])
    delivered = None
    sold_out = None
    t = out["published_h"]
    end = 24.0 * life_days + STEP_H  # past the midnight when the last units expire
    while t < end:
        t = min(end, (np.floor(t / STEP_H) + 1) * STEP_H)
        sim.run_until(t)
        if delivered is None:
            delivered = _event_hour(sim, EventKind.COURIER_DELIVERY)
        stock = int(sim.snapshot().store_on_hand[b, chosen.sku])
        if sold_out is None and delivered is not None and stock == 0:
            sold_out = t
            sim.note(EventKind.STOCK_OUT, b, f"{sim.spec.skus.ids[chosen.sku]} sold out")
    out["picked_up_h"] = _event_hour(sim, EventKind.COURIER_PICKUP)
    out["delivered_h"] = delivered
    out["sold_out_h"] = sold_out
    out["_timeline"] = [str(e) for e in sim.trace or [] if e.kind in TIMELINE]
    report = sim.kpis()
    out["_kpis"] = {
        "revenue": report.chain["revenue"],
        "profit": report.chain["profit"],
        "wasted_at_origin": int(sim.counters_view().store.wasted_units[chosen.origin].sum()),
    }
    return out


def _event_hour(sim: Simulation, kind: EventKind) -> float | None:
    trace = sim.trace or []
    hours = [e.time_hours for e in trace if e.kind is kind]
    return round(hours[0], 3) if hours else None


def yogurt_case(seed: int = CASE_SEED) -> dict[str, Any]:
    """The case with the transfer, the money against the same demand without it."""
    with_transfer, without = run(seed, True), run(seed, False)
    k1, k0 = with_transfer.pop("_kpis"), without.pop("_kpis")
    with_transfer["timeline"] = with_transfer.pop("_timeline")
    scenario = load_scenario(SCENARIO, CASE)
    sku = scenario.network.skus
    per_unit_wasted = float(sku.unit_cost[0] + sku.disposal_cost_per_unit[0])
    avoided_units = k0["wasted_at_origin"] - k1["wasted_at_origin"]
    return {
        **with_transfer,
        "seed": seed,
        "waste_avoided_units": avoided_units,
        "waste_avoided": round(avoided_units * per_unit_wasted, 2),
        "extra_sales": round(k1["revenue"] - k0["revenue"], 2),
        "profit_difference": round(k1["profit"] - k0["profit"], 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # seed 2 is a Saturday whose 10:00 is the case's exactly (A 48, B 5 after selling 8);
    # other seeds give other mornings of the same demand model
    parser.add_argument("--seed", type=int, default=CASE_SEED)
    args = parser.parse_args(argv)
    result = yogurt_case(args.seed)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
