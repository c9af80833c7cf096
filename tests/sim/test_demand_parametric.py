"""ParametricDemand: every factor's simulated mean matches the configured mean.

Each statistical test compares a simulated total with the mean computed by
hand from the configured numbers (not from the model's own formulas) and
accepts it within a two-sided 99.9 % interval (|z| < 3.29). Seeds are fixed, so
the tests are deterministic; few store-SKUs × many days (or many seeds for one
day) keep them fast.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.demand import (
    FACTOR_NAMES,
    DemandSource,
    ParametricDemand,
    ParametricDemandSpec,
    build_demand,
)
from sim.enums import Category, Stream
from sim.errors import ActionError
from sim.rng import RandomStreams
from tests.sim.test_demand_fixtures import make_network

Z_999 = 3.2905  # two-sided 99.9 % normal quantile
MONDAY = dt.date(2026, 1, 5)


def assert_within(observed: float, expected: float, variance: float, what: str) -> None:
    z = (observed - expected) / math.sqrt(variance)
    assert abs(z) < Z_999, f"{what}: observed {observed}, expected {expected:.2f}, z = {z:.2f}"


def assert_poisson_total(observed: float, expected: float, what: str) -> None:
    """A sum of independent Poisson draws has variance equal to its mean."""
    assert_within(observed, expected, expected, what)


def demand(
    extra: dict[str, Any] | None = None,
    categories: tuple[Category, ...] = (Category.DAIRY,),
    hours: tuple[tuple[float, float], ...] = ((8.0, 22.0),),
    sensitivity: tuple[float, ...] | None = None,
    rate: float = 5.0,
) -> ParametricDemand:
    cfg: dict[str, Any] = {
        "kind": "parametric",
        "start_date": MONDAY.isoformat(),
        "base_rate_default": rate,
    }
    cfg.update(extra or {})
    net = make_network(categories, hours, temperature_sensitivity=sensitivity)
    built = build_demand(cfg, net)
    assert isinstance(built, ParametricDemand)
    return built


def ones(d: ParametricDemand) -> np.ndarray:
    return np.ones((d.network.n_stores, d.network.n_skus))


def daily_totals(d: ParametricDemand, days: range, seed: int = 0) -> np.ndarray:
    """[days, stores, skus] units drawn per day."""
    streams = RandomStreams(seed)
    price = ones(d)
    return np.stack([d.draw_day(day, streams, price).sum(axis=1) for day in days])


def across_seeds(
    d: ParametricDemand, day: int, seeds: int, price: np.ndarray | None = None
) -> np.ndarray:
    """[seeds, stores, skus] units of one day under many episode seeds."""
    price = ones(d) if price is None else price
    return np.stack([d.draw_day(day, RandomStreams(s), price).sum(axis=1) for s in range(seeds)])


# -- the protocol and the shape of a day -----------------------------------------


def test_implements_demand_source_and_returns_int64_store_tick_sku() -> None:
    d = demand(categories=(Category.DAIRY, Category.FRUIT), hours=((8, 22), (7, 20)))
    assert isinstance(d, DemandSource)
    units = d.draw_day(0, RandomStreams(1), ones(d))
    assert units.dtype == np.int64
    assert units.shape == (2, len(d.tick_start_hours), 2)
    assert (units >= 0).all()
    np.testing.assert_array_equal(d.tick_start_hours, np.arange(7.0, 22.0))
    assert d.tick_length_hours == 1.0


def test_price_multiplier_is_validated() -> None:
    d = demand()
    with pytest.raises(ActionError, match="price_multiplier"):
        d.draw_day(0, RandomStreams(0), np.zeros((1, 1)))
    with pytest.raises(ActionError, match="shape"):
        d.draw_day(0, RandomStreams(0), np.ones((3, 3)))


def test_flat_poisson_mean_and_variance() -> None:
    d = demand(categories=(Category.DAIRY,) * 3, rate=4.0)
    totals = daily_totals(d, range(1500))
    n = totals.size
    assert_poisson_total(totals.sum(), 4.0 * n, "flat mean")
    # Poisson: variance = mean. Var of the sample variance ≈ (μ4 − σ⁴)/n.
    centred = totals - totals.mean()
    var, m4 = (centred**2).mean(), (centred**4).mean()
    assert_within(var, 4.0, (m4 - var**2) / n, "Poisson variance")


# -- determinism ------------------------------------------------------------------


def test_same_seed_same_demand_and_days_independent_of_history() -> None:
    extra = {"weather": {"sd_c": 3.0, "phi": 0.8, "mean_c": 12.0, "reference_c": 12.0}}
    d1 = demand(extra, categories=(Category.FRUIT, Category.DAIRY), sensitivity=(0.05, 0.0))
    d2 = demand(extra, categories=(Category.FRUIT, Category.DAIRY), sensitivity=(0.05, 0.0))
    price = ones(d1)
    in_order = [d1.draw_day(day, RandomStreams(7), price) for day in range(10)]
    # A fresh model asked for day 9 first, then day 3, gives the same arrays.
    np.testing.assert_array_equal(d2.draw_day(9, RandomStreams(7), price), in_order[9])
    np.testing.assert_array_equal(d2.draw_day(3, RandomStreams(7), price), in_order[3])
    assert d2.temperature_c(9, RandomStreams(7)) == d1.temperature_c(9, RandomStreams(7))
    other = [d1.draw_day(day, RandomStreams(8), price) for day in range(10)]
    assert any((a != b).any() for a, b in zip(in_order, other, strict=True))


def test_draws_use_only_the_day_keyed_demand_stream() -> None:
    d = demand(rate=50.0)
    streams = RandomStreams(3)
    streams.stream(Stream.DEMAND).random(1000)  # another user of a persistent stream
    a = d.draw_day(4, streams, ones(d))
    b = d.draw_day(4, RandomStreams(3), ones(d))
    np.testing.assert_array_equal(a, b)


# -- ticks and the hour-of-day profile --------------------------------------------


def test_hour_profile_within_opening_hours_and_closed_ticks() -> None:
    # Clock hours 8-20; hour 9 weighs 3, the others 1. Ticks of 2 hours from 8h.
    profile = [0.0] * 8 + [1.0, 3.0] + [1.0] * 10 + [0.0] * 4
    d = demand(
        {"tick_length_hours": 2.0, "categories": {"dairy": {"hour_of_day": profile}}},
        categories=(Category.DAIRY, Category.DAIRY),
        hours=((8, 20), (10.5, 18)),
        rate=6.0,
    )
    np.testing.assert_array_equal(d.tick_start_hours, [8, 10, 12, 14, 16, 18])
    # Store 0 (8-20): weights 1+3, 2, 2, 2, 2, 2 of 14.
    # Store 1 (10:30-18): 0, 1.5, 2, 2, 2, 0 of 7.5 (half of hour 10).
    share = {0: np.array([4, 2, 2, 2, 2, 2]) / 14, 1: np.array([0, 1.5, 2, 2, 2, 0]) / 7.5}
    streams, price = RandomStreams(5), ones(d)
    ticks = np.stack([d.draw_day(day, streams, price) for day in range(800)])  # [d, s, k, j]
    assert ticks[:, 1, [0, 5], :].sum() == 0, "closed ticks must have no demand"
    for store, shares in share.items():
        for k, p in enumerate(shares):
            if p > 0:
                observed = ticks[:, store, k, :].sum()
                assert_poisson_total(observed, 6.0 * p * 800 * 2, f"store {store} tick {k}")
    np.testing.assert_allclose(d.tick_grid.share[0, :, int(Category.DAIRY)], share[0])
    np.testing.assert_allclose(d.tick_grid.share[1, :, int(Category.DAIRY)], share[1])


@settings(max_examples=40, deadline=None)
@given(
    hours=st.lists(st.tuples(st.integers(0, 20), st.integers(1, 12)), min_size=1, max_size=4),
    length=st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0]),
    weights=st.lists(st.floats(0.1, 5.0), min_size=24, max_size=24),
)
def test_tick_shares_sum_to_one_and_are_zero_when_closed(
    hours: list[tuple[int, int]], length: float, weights: list[float]
) -> None:
    store_hours = tuple((float(o), float(min(24, o + n))) for o, n in hours)
    first = min(o for o, _ in store_hours)
    last = max(c for _, c in store_hours)
    if first + math.ceil((last - first) / length) * length > 24:
        return  # the grid would run past midnight: refused (tested elsewhere)
    d = demand(
        {"tick_length_hours": length, "categories": {"dairy": {"hour_of_day": weights}}},
        hours=store_hours,
    )
    share = d.tick_grid.share[:, :, int(Category.DAIRY)]
    np.testing.assert_allclose(share.sum(axis=1), 1.0)
    starts = d.tick_start_hours
    for s, (o, c) in enumerate(store_hours):
        closed = (starts + length <= o) | (starts >= c)
        assert (share[s, closed] == 0).all()


# -- calendar factors ----------------------------------------------------------------


def test_day_of_week() -> None:
    dow = [0.5, 1.0, 1.5, 1.0, 1.2, 2.0, 0.8]
    d = demand(
        {"categories": {"dairy": {"day_of_week": dow}}}, categories=(Category.DAIRY, Category.DAIRY)
    )
    weeks = 150
    totals = daily_totals(d, range(7 * weeks))  # day 0 is a Monday
    for w in range(7):
        observed = totals[w::7].sum()
        assert_poisson_total(observed, 5.0 * dow[w] * weeks * 2, f"weekday {w}")


def test_seasonality_by_quarter() -> None:
    amplitude, peak = 0.6, 120
    d = demand(
        {"categories": {"fruit": {"seasonality": {"amplitude": amplitude, "peak_doy": peak}}}},
        categories=(Category.FRUIT,) * 3,
    )
    days = range(730)
    totals = daily_totals(d, days).sum(axis=(1, 2))
    doy = np.array([(MONDAY + dt.timedelta(days=k)).timetuple().tm_yday for k in days])
    mean = 5.0 * 3 * (1 + amplitude * np.cos(2 * np.pi * (doy - peak) / 365))
    for q in range(8):  # quarters of both years
        window = slice(q * 91, (q + 1) * 91)
        assert_poisson_total(totals[window].sum(), mean[window].sum(), f"quarter {q}")
    assert totals[60:180].sum() > 1.5 * totals[240:360].sum()  # spring peak vs autumn


def test_holiday_multiplier_for_its_categories_only() -> None:
    holidays = [
        {"date": "2026-01-08", "multiplier": 1.8, "categories": ["bakery"]},
        {"date": "2026-01-08", "multiplier": 0.5},
    ]
    d = demand({"holidays": holidays}, categories=(Category.BAKERY, Category.DAIRY))
    seeds = 600
    on = across_seeds(d, 3, seeds)  # 2026-01-08 is day 3
    assert_poisson_total(on[:, 0, 0].sum(), 5.0 * 1.8 * 0.5 * seeds, "bakery on holiday")
    assert_poisson_total(on[:, 0, 1].sum(), 5.0 * 0.5 * seeds, "dairy on holiday")
    off = across_seeds(d, 4, seeds)
    assert_poisson_total(off.sum(), 5.0 * 2 * seeds, "day after")


# -- promotions, price, events ---------------------------------------------------------


def test_promotion_lift_then_dip_only_where_promoted() -> None:
    promo = {
        "skus": ["sku0"],
        "stores": ["st0"],
        "start_day": 3,
        "days": 3,
        "lift": 2.5,
        "dip": 0.4,
        "dip_days": 2,
    }
    d = demand(
        {"promotions": [promo]},
        categories=(Category.DAIRY, Category.DAIRY),
        hours=((8, 22), (8, 22)),
    )
    seeds = 300
    expected = {2: 1.0, 3: 2.5, 5: 2.5, 6: 0.4, 7: 0.4, 8: 1.0}
    for day, factor in expected.items():
        units = across_seeds(d, day, seeds)
        assert_poisson_total(units[:, 0, 0].sum(), 5.0 * factor * seeds, f"promoted, day {day}")
        assert_poisson_total(units[:, 1, 0].sum(), 5.0 * seeds, f"other store, day {day}")
        assert_poisson_total(units[:, 0, 1].sum(), 5.0 * seeds, f"other SKU, day {day}")


def test_a_promotion_with_hours_lifts_only_the_ticks_in_its_hours() -> None:
    """A lunch promotion (11:30-14:00, half-hour ticks) at st0 on sku0: those ticks'
    means are lift x the unpromoted ones, every other tick keeps its mean, the day's
    expected units add the lift of the window's share only; other stores, SKUs and days
    are untouched (and the seed's draws elsewhere stay the same)."""
    promo = {"skus": ["sku0"], "stores": ["st0"], "start_day": 2, "days": 1, "lift": 3.0,
             "start_hour": 11.5, "end_hour": 14.0}  # fmt: skip
    kwargs = dict(categories=(Category.DAIRY, Category.DAIRY), hours=((8, 22), (8, 22)))
    plain = demand({"tick_length_hours": 0.5}, **kwargs)
    lunch = demand({"tick_length_hours": 0.5, "promotions": [promo]}, **kwargs)
    streams, price = RandomStreams(0), ones(plain)

    def tick_means(d: ParametricDemand, day: int) -> np.ndarray:
        daily = d.expected_daily_units(day, streams, price)
        d._windows_today = d._active_windows(day)
        return d._tick_means(daily, np.arange(d.network.n_stores)).copy()

    base, lifted = tick_means(plain, 2), tick_means(lunch, 2)
    start = plain._grid.start_hours
    inside = (start >= 11.5) & (start < 14.0)
    assert inside.sum() == 5
    np.testing.assert_allclose(lifted[0, inside, 0], 3.0 * base[0, inside, 0])
    np.testing.assert_allclose(lifted[0, ~inside, 0], base[0, ~inside, 0])
    np.testing.assert_allclose(lifted[1], base[1])
    np.testing.assert_allclose(lifted[0, :, 1], base[0, :, 1])
    share = base[0, inside, 0].sum() / base[0, :, 0].sum()
    daily = lunch.expected_daily_units(2, streams, price)
    assert daily[0, 0] == pytest.approx(5.0 * (1 + 2.0 * share))
    np.testing.assert_allclose(lifted.sum(axis=1), daily)
    assert (tick_means(lunch, 3) == tick_means(plain, 3)).all()
    same = [d.draw_day(1, RandomStreams(4), price) for d in (plain, lunch)]
    assert (same[0] == same[1]).all()


@pytest.mark.parametrize(
    ("extra", "message"),
    [({"start_hour": 14.0, "end_hour": 11.0}, r"start_hour/end_hour: got \(14.0, 11.0\)"),
     ({"start_hour": 11.0, "discount": 0.2}, r"discount: got 0.2; allowed: 0 for a promotion"),
     ({"end_hour": 25.0}, r"end_hour")],
)  # fmt: skip
def test_bad_promotion_hours_are_refused_by_name(extra, message) -> None:
    from sim.errors import ConfigError

    promo = {"skus": ["sku0"], "start_day": 2, "days": 1, "lift": 3.0, **extra}
    with pytest.raises(ConfigError, match=message):
        demand({"promotions": [promo]})


def test_price_elasticity_from_markdown_and_promotion_discount() -> None:
    promo = {"skus": ["sku1"], "start_day": 0, "days": 5, "lift": 1.0, "discount": 0.25}
    d = demand(
        {"promotions": [promo], "categories": {"dairy": {"elasticity": 2.0}}},
        categories=(Category.DAIRY,) * 3,
    )
    price = np.array([[0.8, 0.8, 1.0]])  # markdown on SKUs 0 and 1
    seeds = 500
    units = across_seeds(d, 2, seeds, price)
    expected = [0.8**-2, (0.8 * 0.75) ** -2, 1.0]
    for j, factor in enumerate(expected):
        assert_poisson_total(units[:, 0, j].sum(), 5.0 * factor * seeds, f"sku{j}")
    np.testing.assert_allclose(d.promotion_price_multiplier(2), [[1.0, 0.75, 1.0]])
    np.testing.assert_allclose(d.promotion_price_multiplier(5), [[1.0, 1.0, 1.0]])


def test_local_event_for_its_stores_and_categories() -> None:
    event = {
        "stores": ["st1"],
        "start_day": 2,
        "days": 2,
        "multiplier": 1.7,
        "categories": ["fruit"],
    }
    d = demand(
        {"events": [event]}, categories=(Category.FRUIT, Category.DAIRY), hours=((8, 22), (8, 22))
    )
    seeds = 500
    on = across_seeds(d, 3, seeds)
    assert_poisson_total(on[:, 1, 0].sum(), 5.0 * 1.7 * seeds, "event store, fruit")
    assert_poisson_total(on[:, 1, 1].sum(), 5.0 * seeds, "event store, dairy")
    assert_poisson_total(on[:, 0, :].sum(), 5.0 * 2 * seeds, "other store")
    after = across_seeds(d, 4, seeds)
    assert_poisson_total(after[:, 1, 0].sum(), 5.0 * seeds, "after the event")


# -- weather, lifecycle ------------------------------------------------------------------


def test_temperature_effect() -> None:
    weather = {
        "mean_c": 15.0,
        "amplitude_c": 6.0,
        "warmest_doy": 200,
        "phi": 0.6,
        "sd_c": 4.0,
        "reference_c": 15.0,
    }
    d = demand(
        {"weather": weather}, categories=(Category.FRUIT, Category.AMBIENT), sensitivity=(0.06, 0.0)
    )
    streams = RandomStreams(2)
    days = range(1200)
    totals = daily_totals(d, days, seed=2)
    temps = np.array([d.temperature_c(day, streams) for day in days])
    factor = np.exp(0.06 * (temps - 15.0))
    hot, cold = temps > 19, temps < 11
    for name, mask in (("hot", hot), ("cold", cold), ("all", np.ones_like(hot))):
        assert_poisson_total(totals[mask, 0, 0].sum(), 5.0 * factor[mask].sum(), f"fruit {name}")
    assert_poisson_total(totals[:, 0, 1].sum(), 5.0 * len(days), "insensitive SKU")


def test_lifecycle_new_ramp_and_declining_decay() -> None:
    lifecycle = {
        "skus": {
            "sku0": {"stage": "new", "launch_day": 5, "ramp_days": 10, "new_start_share": 0.2},
            "sku1": {"stage": "declining", "decline_start_day": -14, "decline_rate_per_week": 0.2},
        }
    }
    d = demand({"lifecycle": lifecycle}, categories=(Category.DAIRY,) * 3, rate=8.0)
    seeds = 400
    new = {4: 0.0, 5: 0.2, 10: 0.6, 15: 1.0, 30: 1.0}
    for day, factor in new.items():
        units = across_seeds(d, day, seeds)
        if factor == 0:
            assert units[:, 0, 0].sum() == 0, "no demand before launch"
        else:
            assert_poisson_total(units[:, 0, 0].sum(), 8.0 * factor * seeds, f"new, day {day}")
        decay = math.exp(-0.2 * (day + 14) / 7)
        assert_poisson_total(units[:, 0, 1].sum(), 8.0 * decay * seeds, f"declining, day {day}")
        assert_poisson_total(units[:, 0, 2].sum(), 8.0 * seeds, f"mature, day {day}")


# -- negative binomial ------------------------------------------------------------------


def test_negative_binomial_daily_variance() -> None:
    k, mean = 2.0, 6.0
    d = demand(
        {"categories": {"bakery": {"distribution": "negative_binomial", "dispersion": k}}},
        categories=(Category.BAKERY,) * 4 + (Category.DAIRY,),
        rate=mean,
    )
    totals = daily_totals(d, range(1500))
    for cols, variance, what in (
        (slice(0, 4), mean + mean**2 / k, "negative binomial"),
        (slice(4, 5), mean, "Poisson beside it"),
    ):
        x = totals[:, :, cols].ravel()
        n = x.size
        assert_within(x.sum(), mean * n, variance * n, f"{what} mean")
        centred = x - x.mean()
        var, m4 = (centred**2).mean(), (centred**4).mean()
        assert_within(var, variance, (m4 - var**2) / n, f"{what} variance")


# -- the oracle mean and the factor breakdown -------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    price=st.lists(st.floats(0.3, 1.5), min_size=6, max_size=6),
    day=st.integers(0, 40),
)
def test_factors_multiply_to_expected_daily_units(price: list[float], day: int) -> None:
    d = _everything_on()
    streams = RandomStreams(4)
    pm = np.array(price).reshape(2, 3)
    factors = d.rate_factors(day, streams, pm)
    assert tuple(factors) == FACTOR_NAMES
    for value in factors.values():
        assert value.shape == (2, 3)
        assert not value.flags.writeable
    product = np.prod(np.stack(list(factors.values())), axis=0)
    np.testing.assert_allclose(product, d.expected_daily_units(day, streams, pm), rtol=1e-12)


def test_expected_daily_units_by_hand() -> None:
    d = _everything_on()
    streams = RandomStreams(4)
    day = 3  # Thursday 2026-01-08: holiday, promotion, event; temperature from the model
    pm = np.array([[1.0, 0.5, 1.0], [1.0, 1.0, 1.0]])
    temperature = d.temperature_c(day, streams)
    doy = 8
    season = 1 + 0.3 * math.cos(2 * math.pi * (doy - 30) / 365)
    base = np.array([[2.0, 5.0, 5.0], [5.0, 5.0, 5.0]])
    by_hand = base * 1.2 * season * 1.5  # Thursday × dairy season × holiday
    by_hand[0, 0] *= 2.0  # promotion on sku0 at st0
    by_hand[0, 1] *= 0.5**-1.5  # markdown at st0 for sku1, through elasticity 1.5
    by_hand[:, 2] *= math.exp(0.04 * (temperature - 14.0))
    by_hand[1, :] *= 1.3  # local event at st1
    by_hand[:, 2] *= math.exp(-0.1 * 3 / 7)  # declining since day 0
    np.testing.assert_allclose(d.expected_daily_units(day, streams, pm), by_hand, rtol=1e-12)


def _everything_on() -> ParametricDemand:
    return demand(
        {
            "base_rate": {"st0": {"sku0": 2.0}},
            "categories": {
                "dairy": {
                    "day_of_week": [1, 1, 1, 1.2, 1, 1, 1],
                    "seasonality": {"amplitude": 0.3, "peak_doy": 30},
                    "elasticity": 1.5,
                }
            },
            "holidays": [{"date": "2026-01-08", "multiplier": 1.5}],
            "promotions": [
                {
                    "skus": ["sku0"],
                    "stores": ["st0"],
                    "start_day": 2,
                    "days": 4,
                    "lift": 2.0,
                    "dip": 0.5,
                    "dip_days": 3,
                }
            ],
            "events": [{"stores": ["st1"], "start_day": 3, "days": 1, "multiplier": 1.3}],
            "lifecycle": {
                "skus": {
                    "sku2": {
                        "stage": "declining",
                        "decline_start_day": 0,
                        "decline_rate_per_week": 0.1,
                    }
                }
            },
            "weather": {
                "mean_c": 10.0,
                "amplitude_c": 5.0,
                "phi": 0.5,
                "sd_c": 2.0,
                "reference_c": 14.0,
            },
        },
        categories=(Category.DAIRY,) * 3,
        hours=((8, 22), (9, 21)),
        sensitivity=(0.0, 0.0, 0.04),
    )


def test_spec_built_directly_without_config() -> None:
    net = make_network((Category.DAIRY, Category.FRUIT), ((8, 20),))
    spec = ParametricDemandSpec(
        start_date=MONDAY, base_rate_units_per_day=[[3.0, 1.0]], tick_length_hours=None
    )
    d = ParametricDemand(spec, net)
    assert d.tick_start_hours.tolist() == [8.0]
    assert d.tick_length_hours == 12.0
    np.testing.assert_allclose(d.expected_daily_units(0, RandomStreams(0), ones(d)), [[3, 1]])


# -- drawing into the engine's day array ----------------------------------------


def test_blocks_of_stores_draw_the_same_units_as_one_draw(monkeypatch) -> None:
    """Tick means and Poisson draws go a block of stores at a time; the stream is
    consumed in the same order, so any block size gives the same units."""
    import sim.demand.parametric as parametric

    extra = {"categories": {"fruit": {"distribution": "negative_binomial", "dispersion": 2.0}}}
    hours = ((8, 22), (7, 20), (8, 22), (6, 23), (7, 20))
    cats = (Category.DAIRY, Category.FRUIT, Category.BAKERY)
    whole = demand(extra, categories=cats, hours=hours)
    monkeypatch.setattr(parametric, "_BLOCK_CELLS", 1)  # one store per block
    by_store = demand(extra, categories=cats, hours=hours)
    assert by_store._block_stores == 1 and whole._block_stores == len(hours)
    for day in range(3):
        expected = whole.draw_day(day, RandomStreams(5), ones(whole))
        out = np.full(expected.shape, -1, dtype=np.int32)
        got = by_store.draw_day(day, RandomStreams(5), ones(by_store), out=out)
        assert got is out
        np.testing.assert_array_equal(out, expected)


def test_a_count_too_large_for_the_day_array_is_refused_not_wrapped() -> None:
    from sim.errors import ConfigError

    d = demand(rate=20_000.0)  # about 1,400 a tick
    shape = (1, len(d.tick_start_hours), 1)
    with pytest.raises(ConfigError, match=r"demand: got \d+; allowed: at most 127 units"):
        d.draw_day(0, RandomStreams(0), ones(d), out=np.zeros(shape, dtype=np.int8))
    with pytest.raises(ValueError, match=r"out: .*allowed: an integer array of shape"):
        d.draw_day(0, RandomStreams(0), ones(d), out=np.zeros((2, 2, 2), dtype=np.int32))
