"""ShelfLife's Optuna sweeper for Hydra 1.3, on Optuna 5's ask/tell API.

Select it with ``hydra/sweeper=shelflife_optuna`` (or ``override /hydra/sweeper:
shelflife_optuna`` in a config's defaults list) and run with ``--multirun``. The
published ``hydra-optuna-sweeper`` pins ``optuna<3``, which conflicts with MLflow
3's SQLAlchemy 2; this plugin is the small part of it ShelfLife needs.

``hydra_plugins`` is a namespace package (no ``__init__.py``): Hydra finds every
``hydra_plugins.*`` package on ``sys.path``. Only ``config`` and ``optuna_sweeper``
are imported when Hydra scans plugins; Optuna is imported when a sweep starts.
"""
