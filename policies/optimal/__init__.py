"""Exact optimum of the single-SKU perishable inventory problem, by value iteration.

The problem is exactly what ``ShelfLife/PerishableInventory-v0`` simulates: one
SKU, one store, daily periods, useful life ``m`` days (or non-perishable), lead
time ``L`` periods, FIFO or LIFO issuing, lost sales, order cap ``Q``.

Order of events in period ``t``:

1. observe the state (the env's observation, layout below);
2. place the order ``a_t`` in ``0..Q`` and pay ``c · a_t``;
3. the order placed ``L`` periods earlier (``a_{t-L}``) arrives with full life
   ``m`` (with ``L = 0`` it is ``a_t`` itself);
4. demand ``d_t`` (i.i.d., ``StationaryDemandSpec.daily_pmf``) is served from
   stock on hand by the issuing rule; the unmet part is lost (``p`` per unit);
5. units at the end of their life unsold are wasted (``w`` per unit): a unit
   arriving in period ``s`` can be sold in periods ``s .. s+m-1``;
6. what remains ages one day and pays ``h`` per unit.

Reward = −(period cost).

API (``policies.optimal``): ``PerishableProblem``, ``solve_average_cost``,
``solve_discounted``, ``Solution``, ``evaluate_policy``, ``policy_chain``,
``best_base_stock``, ``discounted_return``, ``OptimalPolicy`` (``act``, ``predict``,
``explain``, ``save``/``load``), ``period_outcome`` (the reference dynamics) and
``solve_report`` / ``summary`` (what the command line ``scripts/solve_optimal.py`` prints).

Modules: ``model`` (the problem, its dynamics and transition model), ``solver`` (value
iteration), ``chain`` (exact evaluation of a policy table), ``policy`` (``Solution``,
``OptimalPolicy``), ``report`` (solve, evaluate, summarise) and ``config`` (the Hydra
``_target_``).

State layout (the env's float32 observation, read as integers):

* perishable: ``obs[r-1]`` = units on hand with remaining life ``r`` (r = 1..m−1,
  "can still be sold in r periods, this one included"), then
  ``obs[m-1+j]`` = units arriving at the start of period ``t+j`` (j = 0..L−1;
  j = 0 is ``a_{t-L}``). Every entry is in ``0..Q`` (each bucket comes from one
  order), so there are ``(Q+1)^((m-1)+L)`` states: the model is exact.
* non-perishable: ``obs[0]`` = units on hand, then the pipeline. The state is
  bounded the way the env bounds it: an order that would lift the inventory
  position (on hand + pipeline) above ``max_stock`` is reduced to fit (and only
  the reduced quantity is paid). With the same ``max_stock`` the solver and the
  env are the same chain; ``--json`` reports the stationary probability that
  the optimal policy's position reaches the cap, to show that a small cap (the
  default ``Q·(L+2) + demand support``) does not bind.

States are indexed in C order over the observation (``np.ravel_multi_index``),
so the last pipeline slot (the order just placed) is the fastest axis.

Method:

* Every period's randomness enters through the post-arrival stock only. A
  "key" is (on hand, arrival) (for a non-perishable item just their sum); for
  every key and demand value the next on-hand index and the period cost are
  precomputed (``model.build_model``), giving a sparse matrix
  ``T[key, next on hand]`` of probabilities. The pipeline moves
  deterministically: the next state is ``(next on hand, y_1 .. y_{L-1}, a)``, so
  ``E[V(next) | state, a]`` for every state and action is one sparse × dense
  product ``T @ V.reshape(on hand, pipeline)`` (the order only fills the
  pipeline's last slot; with ``L = 0`` the order is the arrival and part of the
  key). It is done in row blocks of 2^21 doubles (bounded memory) on 2 threads
  (scipy's kernel and numpy release the GIL: 0.13 s per sweep of 1.77 M states
  against 0.25 s on one), and the minimum over actions is taken in place.
* Average cost: relative value iteration from ``V = 0``, stopped when the span of
  ``T V − V`` (the Odoni bounds on the optimal gain) is below ``tol``
  (1e-9); the greedy policy is then ``tol``-optimal. If the span stalls for 200
  sweeps (a periodic chain), the aperiodicity transform ``τ T + (1 − τ) I`` with
  ``τ = 0.5`` is switched on. No warm start by default: 60–80 sweeps suffice, and
  the base-stock value function over all states would cost as many sweeps
  (``initial_values`` takes one anyway). Discounted: value iteration with
  MacQueen bounds.
* A policy is evaluated exactly on the states reachable from the empty state
  (``chain``; 14 to 13,560 states for the optima below).

Timings (this machine: 2 cores, Python 3.11, numpy 2.4, scipy 1.17; ``python
scripts/solve_optimal.py … --json``, one run each, machine otherwise idle; demand
Gamma(4, 0.5) clipped at 16 unless said, Q = 10, c, p, w, h = 3, 5, 7, 1):

=================================  =========  ======  =======  ==========  =======  =======
case                               states     sweeps  solve s  base stock  total s  peak MB
=================================  =========  ======  =======  ==========  =======  =======
m = 2, L = 1, FIFO                 121        26      0.65     0.05        1.8      170
m = 5, L = 2, FIFO                 1,771,561  58      8.6      16          26       1,390
m = 5, L = 2, LIFO                 1,771,561  64      9.8      23          35       1,400
non-perishable, L = 4, Poisson(5)  1,508,023  77      10.8     61          73       1,640
=================================  =========  ======  =======  ==========  =======  =======

("solve s" includes building the model and scipy's first import, about 0.6 s;
"base stock" = ``best_base_stock``, all 71 / 103 levels, each exact or proven
worse than the best so far; "total" is the wall time of the whole command;
non-perishable: ``max_stock`` = 102, the default.)

Example::

    python scripts/solve_optimal.py --life 2 --lead-time 1 --issuing fifo --demand gamma \\
        --mean 4 --cv 0.5 --max-order 10 --order-cost 3 --lost-sales-cost 5 \\
        --waste-cost 7 --holding-cost 1 --json
"""

from policies.optimal.chain import (
    PolicyChain,
    base_stock_levels,
    base_stock_table,
    best_base_stock,
    discounted_return,
    evaluate_policy,
    policy_chain,
)
from policies.optimal.model import (
    MAX_STATES,
    PeriodOutcome,
    PerishableProblem,
    demand_values,
    period_outcome,
    transitions,
)
from policies.optimal.policy import OptimalPolicy, Solution
from policies.optimal.report import solve_report, summary
from policies.optimal.solver import solve_average_cost, solve_discounted

__all__ = [
    "MAX_STATES",
    "OptimalPolicy",
    "PeriodOutcome",
    "PerishableProblem",
    "PolicyChain",
    "Solution",
    "base_stock_levels",
    "base_stock_table",
    "best_base_stock",
    "demand_values",
    "discounted_return",
    "evaluate_policy",
    "period_outcome",
    "policy_chain",
    "solve_average_cost",
    "solve_discounted",
    "solve_report",
    "summary",
    "transitions",
]
