"""What keeps a big chain's simulation lean: one day array written in place, a
pipeline built only when read, the store-SKU KPI level only when asked for, and
no pandas in a simulation of parametric demand."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario


def city_fresh_after(hours: float, seed: int = 4) -> Simulation:
    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=seed)
    sim.run_until(hours)
    return sim


def test_the_engine_keeps_one_int32_day_array_that_the_source_writes_into():
    sim = city_fresh_after(30.0)
    day_array = sim._ctx.state.day_demand
    assert day_array.dtype == np.int32
    sim.run_until(60.0)  # a day boundary: drawn into the same array
    assert sim._ctx.state.day_demand is day_array


def test_a_source_that_ignores_out_is_refused_by_name():
    scenario = load_scenario("city_fresh")
    source = build_demand_source(scenario)

    class Copying:
        def __getattr__(self, name):
            return getattr(source, name)

        def draw_day(self, day, streams, price_multiplier, out=None):
            return source.draw_day(day, streams, price_multiplier).copy()

    with pytest.raises(TypeError, match=r"Copying.draw_day returned a new array; allowed:"):
        Simulation(scenario.network, Copying(), seed=0)


def test_the_pipeline_is_built_on_first_read_and_equals_a_copied_snapshot():
    sim = city_fresh_after(9.0)
    sim.submit_store_orders(np.full((sim.spec.n_stores, sim.spec.n_skus), 6.0))
    sim.run_until(28.5)  # the trucks are on the road
    live, copied = sim.snapshot(), sim.snapshot(copy=True)
    assert "store_pipeline_by_day" not in vars(live)  # not built yet
    np.testing.assert_array_equal(live.store_pipeline_by_day, copied.store_pipeline_by_day)
    assert copied.store_pipeline_by_day.sum() > 0
    assert not live.store_pipeline_by_day.flags.writeable
    restored = pickle.loads(pickle.dumps(copied))
    np.testing.assert_array_equal(restored.store_pipeline_by_day, copied.store_pipeline_by_day)


def test_store_sku_kpis_only_when_asked_and_the_same_chain_either_way():
    sim = city_fresh_after(24.0 * 3)
    lean, full = sim.kpis(), sim.kpis(store_sku=True)
    assert lean.per_store_sku is None
    np.testing.assert_equal(lean.chain, full.chain)  # NaN-aware
    for name, values in lean.per_store.items():
        np.testing.assert_array_equal(values, full.per_store[name], err_msg=name)
    assert full.store_sku_frame().shape[0] == len(full.store_ids) * len(full.sku_ids)
    with pytest.raises(ValueError, match=r"per_store_sku: got None; allowed: .*store_sku=True"):
        lean.store_sku_frame()


def test_a_parametric_simulation_does_not_load_pandas():
    code = (
        "import sys\n"
        "from sim.engine import Simulation\n"
        "from sim.scenario import build_demand_source, load_scenario\n"
        "s = load_scenario('city_fresh')\n"
        "Simulation(s.network, build_demand_source(s), seed=0).run_until(30.0)\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _by_remaining_life_by_hand(stock: np.ndarray, life: np.ndarray) -> np.ndarray:
    """One row at a time: remaining life r (column r-1) holds age life - r; stock that
    never expires goes to the last column."""
    flat = stock.reshape(-1, stock.shape[-1])
    lives = np.broadcast_to(life, stock.shape[:-1]).reshape(-1)
    out = np.zeros_like(flat)
    for row, (units, m) in enumerate(zip(flat, lives, strict=True)):
        if m == 0:
            out[row, -1] = units.sum()
            continue
        for r in range(1, flat.shape[1] + 1):
            if 0 <= m - r < flat.shape[1]:
                out[row, r - 1] = units[m - r]
    return out.reshape(stock.shape)


@given(
    lives=st.lists(st.integers(0, 6), min_size=1, max_size=6),
    stores=st.integers(1, 3),
    ages=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    per_row=st.booleans(),
)
def test_stock_by_remaining_life_matches_the_rule(lives, stores, ages, seed, per_row):
    """Per-SKU lives (the simulator's views) and per-row lives (served states), lives
    beyond the age buckets included."""
    from sim.store_sku import on_hand_by_remaining_life

    rng = np.random.default_rng(seed)
    stock = rng.integers(0, 9, (stores, len(lives), ages)).astype(np.int32)
    life = np.array(lives)
    if per_row:
        stock, life = stock.reshape(-1, ages), np.tile(life, stores)
    got = on_hand_by_remaining_life(stock, life)
    assert got.dtype == stock.dtype
    np.testing.assert_array_equal(got, _by_remaining_life_by_hand(stock, life))


@given(
    rows=st.integers(1, 6),
    life_days=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    integer_stock=st.booleans(),
)
def test_expected_unsold_equals_the_cumulative_formula_bit_for_bit(
    rows, life_days, seed, integer_stock
):
    """One life column at a time gives what the [rows, life] cumsum formula gave (the
    rules' and the transfer planner's "doomed" units), for integer and float stock."""
    from sim.store_sku import expected_unsold

    rng = np.random.default_rng(seed)
    by_life = rng.integers(0, 30, (2, rows, life_days))
    by_life = by_life.astype(np.int32) if integer_stock else by_life * 0.5
    forecast = rng.gamma(1.0, 3.0, (2, rows))
    r = np.arange(1, life_days + 1)
    formula = np.maximum(np.cumsum(by_life, axis=-1) - forecast[..., None] * r, 0.0).max(axis=-1)
    got = expected_unsold(by_life, forecast)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, formula)
