"""Build a validated ``NetworkSpec`` from a network config (YAML via Hydra, or a dict).

``build_network`` checks everything on load and refuses a bad value with
``ConfigError(field, value, allowed)``, ``field`` being the dotted path inside
the network config (``stores[3].dc``, ``skus[12].shelf_life_days``,
``couriers.speed_kmh``). Unknown keys are refused too, so a typo such as
``shelf_lfe_days`` never silently falls back to a default. ``null`` means the
same as leaving a key out (the dataclass default), except for
``shelf_life_days``, where ``null`` is a non-perishable. Integers, numbers,
names and keys follow the one set of rules of ``sim.validation`` (``3.0`` is
an integer, ``3.5``, ``true`` and ``"3"`` are not).

Where things live: ``sim.config.models`` (a pydantic model per block, with
the checks inside a block) and ``sim.config.network`` (``build_network``:
ids resolved across blocks, the per-(store, SKU) arrays assembled and checked).

Schema (``configs/network/*.yaml``; times are hours of the day in [0, 24),
lead times whole days, money in the chain's currency)::

    name: city_fresh              # optional; build_network(name=...) wins
    description: free text        # optional, ignored

    suppliers:                    # list, at least one
      - id: dairy_co
        lead_time: fixed          # fixed | shifted_poisson | uniform
        lead_time_mean_days: 1    # in [min, max]; fixed: the lead time (whole days);
                                  # uniform: defaults to (min + max) / 2
        lead_time_min_days: 1     # >= 0; fixed: defaults to the mean
        lead_time_max_days: 1     # >= min; fixed: defaults to the mean
        fill_rate: 0.98           # (0, 1]: share of cases delivered
        moq_units: 0              # >= 0, per SKU line
        case_pack_units: null     # >= 1, or null for each SKU's case pack
        order_cutoff_hour: 10
        arrival_hour: 6

    dcs:                          # list, at least one
      - id: DC1
        order_cutoff_hour: 14
        departure_hour: 20        # >= order_cutoff_hour
        delivery_weekdays: [0, 1, 2, 3, 4, 5, 6]   # 0 = Monday; non-empty
        transit_hours_default: 3  # hours to each store it serves ...
        transit_hours: {S01: 2.5} # ... with per-store overrides (store id → hours)
        pick_capacity_units_per_day: 1000000000
        backorder: false
        unlimited_stock: false    # an external vendor: units appear when picked
        truck_cost_per_trip: 0
        replenishment_cover_days: 0   # > 0: the DC orders for itself

    stores:                       # either a list ...
      - id: S01
        x_km: 0.0                 # required, kilometres
        y_km: 0.0
        dc: DC1                   # required: a DC id
        open_hour: 8              # 0 <= open_hour < close_hour <= 24
        close_hour: 22
        restock_hours: [12, 17]   # each in [open_hour, close_hour); the default
                                  # drops the hours outside the opening hours
        issuing: fifo             # fifo | lifo | mixed
        fresh_first_share: 0.0    # [0, 1], used by mixed
        city: city
    stores:                       # ... or generated
      generate:
        seed: 0
        count: 100                # total; cities without a count share the rest evenly
        id_prefix: R              # ids R001, R002, ... numbered across cities
        id_digits: 3
        defaults: {open_hour: 7, close_hour: 22}   # shared store fields
        cities:
          - {name: north, count: 25, centre_km: [0, 0], radius_km: 6, dc: DC1}

    skus:                         # either a list ...
      - id: item
        category: ambient         # leafy_vegetables | fruit | dairy | prepared_meals
                                  # | bakery | ambient (case-insensitive)
        shelf_life_days: null     # >= 1, or null for a non-perishable
        unit_cost: 3.0            # required, >= 0
        price: 8.0                # required, >= 0
        holding_cost_per_unit_day: 0.0
        disposal_cost_per_unit: 0.0
        case_pack: 1              # >= 1
        break_pack: false
        temperature_sensitivity: 0.0   # demand change per °C
        damage_rate: 0.0          # [0, 1)
        supplier: vendor          # a supplier id; optional if there is one supplier
    skus:                         # ... or generated
      generate:
        seed: 0
        id_digits: 4              # ids <id_prefix>-0001, numbered within each category
        count_by_category: {dairy: 40, ambient: 50}
        templates:                # one per category with a count
          dairy:
            id_prefix: DAIRY      # default: the category name in capitals
            shelf_life_days: 14   # >= 1, or null for non-perishable
            unit_cost: [0.8, 3.5] # a value or a uniform range [low, high]
            margin: [0.3, 0.6]    # price = cost × (1 + margin); >= -1
            holding_rate_per_day: 0.001   # holding cost as a share of unit cost
            disposal_cost_per_unit: 0.05
            case_pack: [6, 12]    # one size or a list of sizes to pick from
            break_pack: false
            temperature_sensitivity: 0.0
            damage_rate: [0.0, 0.004]
            supplier: dairy_co

    couriers:                     # optional; absent or null: no transfers
      size: 4                     # >= 1
      acceptance_delay_hours: 0.25
      speed_kmh: 20               # > 0
      detour_factor: 1.3          # >= 1
      cost_per_trip: 4.0
      cost_per_km: 0.6
      capacity_units: 200         # >= 1
      no_show_probability: 0.05   # [0, 1)
      co2_kg_per_km: 0.12

    store_sku:                    # optional; layers applied in this order:
      seed: 0                     # seed of the range draws below
      default: {...}              # every (store, SKU)
      by_category: {dairy: {...}} # the SKUs of a category
      overrides:                  # selected pairs; selectors may be an id or a list
        - {store: A, sku: yogurt_premium, initial_on_hand: 48, initial_age_days: 10}
      blocked: {S05: [MEAL-0001]} # store id → SKUs it may not order
      # Fields of a layer (a value, or a range [low, high] drawn per pair):
      #   shelf_capacity_units (default 20), facings_units (2, <= shelf capacity),
      #   daily_units_hint (1.0: expected sales per day, the unit of "cover"),
      #   initial_days_of_cover (0) or initial_on_hand (units; the later layer wins),
      #   initial_age_days (0; < shelf life where there is stock; non-perishables 0),
      #   recent_sales_units (units sold in the 24 h before t=0; default round(hint)).
      # Blocked pairs get no stock from cover and no default recent sales.

    dc_initial:                   # optional; starting DC stock, age 0
      units: 0                    # for every (DC, SKU) ...
      days_of_cover: 3            # ... or days of its stores' summed daily_units_hint
      overrides: [{dc: DC1, sku: AMB-0001, units: 500}]
"""

from __future__ import annotations

from sim.config.network import build_network

__all__ = ["build_network"]
