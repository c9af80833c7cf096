"""ShelfLife's Ray launcher for Hydra 1.3: ``hydra/launcher=ray``.

Every job of a ``--multirun`` (a grid, or a batch of the Optuna sweeper's trials) runs
as a Ray task on Ray's local cluster (127.0.0.1, started on first use) or on the
cluster at ``hydra.launcher.address``. The published ``hydra-ray-launcher`` 1.2.2 pins
``cloudpickle<3`` (we have Ray 2's ``cloudpickle 3``) and targets Ray 1, so this is the
small part of it ShelfLife needs, written like Hydra's joblib launcher: each task
loads its sweep config and calls ``run_job`` in the worker.
"""
