"""The store-SKU view of validated state rows: what served rules and policies read."""

from __future__ import annotations

import numpy as np

from policies.serving.catalog import Catalog
from policies.serving.state import StateRows
from sim.store_sku import StoreSkuView, on_hand_by_remaining_life


def view_from_rows(
    rows: StateRows, catalog: Catalog, *, review_days: float = 1.0, rules: bool = True
) -> StoreSkuView:
    """The one ``StoreSkuView`` of ``rows``, with the catalog's parameters of their store-SKUs.

    ``on_hand_by_age`` is the rows' stock over the ages anyone holds (the older
    ages are zeros: features are the same and cost less); units by remaining
    life are taken over every catalog age, as the simulator does.

    Args:
        rules: fill the rules' own inputs too (False: the features' and the money only,
            as ``sim.store_sku.view_from_snapshot``).
    """
    cat = catalog
    sku, store = rows.sku, rows.store
    life = cat["shelf_life_days"][sku].astype(np.int64)
    rule_inputs: dict[str, object] = {}
    if rules:
        rule_inputs = dict(
            on_hand_by_life=on_hand_by_remaining_life(rows.on_hand_by_age, life),
            forecast_sd_daily=np.sqrt(rows.forecast),
            review_days=np.full(rows.n, review_days),
            facings_units=cat["facings_units"][store, sku].astype(np.float64),
            store_index=store,
        )
    return StoreSkuView(
        on_hand=rows.on_hand,
        on_order=rows.on_order,
        forecast_daily=rows.forecast,
        lead_time_days=rows.lead_time_days,
        shelf_life_days=life,
        pack_units=cat["pack_units"][sku].astype(np.int64),
        blocked=cat["blocked"][store, sku].astype(bool),
        **rule_inputs,
        unit_cost=cat["unit_cost"][sku].astype(np.float64),
        price=cat["price"][sku].astype(np.float64),
        holding_cost_per_day=cat["holding_cost_per_day"][sku].astype(np.float64),
        waste_cost_per_unit=cat["waste_cost_per_unit"][sku].astype(np.float64),
        on_promotion=rows.promotion_price < 1.0,
        day=rows.day,
        on_hand_by_age=rows.stock_held,
        on_shelf=rows.on_shelf,
        arriving_1d=rows.arriving_1d,
        sales_yesterday=rows.sales_yesterday,
        demand_yesterday=rows.demand_yesterday,
        weekday=rows.weekday,
        promotion_price=rows.promotion_price,
        price_multiplier=rows.price_multiplier,
        dc_on_hand_per_store=rows.dc_on_hand / cat["dc_stores_served"][store],
        scale=rows.scale,
        dc_life_left_days=rows.dc_life_left_days,
        forecast_error=rows.forecast_error,
    )
