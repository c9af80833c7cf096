"""`make demo-sim`: the simulator on `city_fresh` under the base-stock baseline.

7 warm-up days, then a 21-day reporting period (``experiments.sim_demo``), then
the chain KPIs, a per-store table and the unit ledger. Usage:
``python -m scripts.demo [--scenario NAME] [--days N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import time

from rich.console import Console
from rich.table import Table

from experiments.sim_demo import simulate_base_stock

CHAIN_ROWS = (
    ("fill_rate", "{:.1%}"),
    ("stockout_rate", "{:.1%}"),
    ("lost_sales", "{:,.0f} units"),
    ("inventory_turnover", "{:.1f} /year"),
    ("days_of_inventory", "{:.1f} days"),
    ("waste_rate", "{:.1%}"),
    ("waste_value", "{:,.2f}"),
    ("sell_through_rate", "{:.1%}"),
    ("slow_moving_share", "{:.1%}"),
    ("revenue", "{:,.2f}"),
    ("profit", "{:,.2f}"),
    ("transfers_count", "{:,.0f}"),
    ("order_response_hours", "{:.1f} h"),
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulate a scenario under order-up-to.")
    parser.add_argument("--scenario", default="city_fresh")
    parser.add_argument("--warmup-days", type=int, default=7)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cover-factor", type=float, default=1.0, help="x demand over lead + review"
    )
    parser.add_argument("--z", type=float, default=1.0, help="base stock: safety factor")
    args = parser.parse_args(argv)
    console = Console()

    t0 = time.perf_counter()
    sim = simulate_base_stock(
        args.scenario,
        warmup_days=args.warmup_days,
        days=args.days,
        seed=args.seed,
        cover_factor=args.cover_factor,
        z=args.z,
    )
    kpis = sim.kpis()
    wall = time.perf_counter() - t0
    net = sim.spec
    console.print(
        f"[bold]{args.scenario}[/bold]: {net.n_stores} stores, {net.n_dcs} DC(s), "
        f"{net.n_skus} SKUs; base stock (cover factor {args.cover_factor:g}, z {args.z:g},"
        f" oracle forecast); seed {args.seed}"
    )

    table = Table(title=f"Chain KPIs, days {args.warmup_days}-{args.warmup_days + args.days - 1}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, fmt in CHAIN_ROWS:
        table.add_row(name, fmt.format(kpis.chain[name]))
    console.print(table)

    stores = kpis.store_frame()
    per_store = Table(title="Per store")
    for col in ("store", "fill_rate", "stockout_rate", "waste_rate", "revenue", "profit"):
        per_store.add_column(col, justify="right")
    for store_id, row in stores.iterrows():
        per_store.add_row(
            str(store_id),
            f"{row.fill_rate:.1%}",
            f"{row.stockout_rate:.1%}",
            f"{row.waste_rate:.1%}",
            f"{row.revenue:,.0f}",
            f"{row.profit:,.0f}",
        )
    console.print(per_store)
    b = sim.balance
    console.print(
        f"Ledger since t=0: entered {b.entered:,} = on hand {sim.units_on_hand():,} + in transit "
        f"{sim.units_in_transit():,} + sold {b.sold:,} + wasted {b.wasted:,} + damaged "
        f"{b.damaged:,}  (balanced)"
    )
    console.print(f"Simulated {args.warmup_days + args.days} days in {wall:.1f} s.")


if __name__ == "__main__":
    main()
