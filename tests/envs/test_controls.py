"""Controls as configs write them: names, '|'-joined names or lists; a bad name by name."""

from __future__ import annotations

import pytest

from envs.retail.config import Control
from envs.sku_agents import SkuAgents
from sim.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TRANSFERS", Control.TRANSFERS),
        ("store_orders|transfers", Control.STORE_ORDERS | Control.TRANSFERS),
        (["STORE_ORDERS", "DC_ORDERS"], Control.STORE_ORDERS | Control.DC_ORDERS),
        (Control.DC_ORDERS, Control.DC_ORDERS),
    ],
)
def test_controls_parse_from_names(value, expected):
    assert Control.parse(value) == expected


@pytest.mark.parametrize("value", ["TRANSFER", "", [], 3])
def test_a_bad_control_is_refused_by_name(value):
    with pytest.raises(ConfigError, match="controls"):
        Control.parse(value)


def test_sku_agents_given_transfers_from_a_config_order_and_transfer():
    agents = SkuAgents(episode_days=1, scenario="city_fresh", controls="TRANSFERS")
    assert agents.config.controls == Control.STORE_ORDERS | Control.TRANSFERS
    assert agents.action_space.shape == (2,)
