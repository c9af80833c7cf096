"""Write a policy folder: ``manifest.json`` + ``manifest.sha256`` + catalog (+ ``policy.onnx``).

Sources: a trained stable-baselines3 model (a training output folder, a saved
model, or an MLflow run) on the SKU-agent env, or a tuned heuristic. The
folder is written beside its destination and renamed into place, so a failed
export never leaves a half-written policy behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from policies.configs import (
    POLICY_DIR,
    policy_config,
    split_run_settings,
    tuned_cfg,
    tuned_file,
)
from policies.export.catalog import catalog_from_scenario, courier_network_from_scenario
from policies.serving.catalog import CATALOG_ARRAYS, catalog_bytes
from policies.serving.errors import PolicyFormatError
from policies.serving.integrity import write_manifest
from policies.serving.rule_policy import RULES, build_rule
from policies.serving.transfer_plan import NETWORK_FILE, build_rules, network_bytes
from sim.errors import ConfigError
from sim.features import OBSERVATION, OBSERVATION_VERSION
from sim.progress import progress

CATALOG_FILE = "catalog.npz"
ONNX_FILE = "policy.onnx"
SKU_AGENTS_ENV = {"id": "ShelfLife/SkuAgents", "version": 0}
RULES_TEXT = {
    "case_pack": "orders are whole packs: units = packs × pack_units (1 when break-pack)",
    "cap": "at most max_order_packs packs per store-SKU and day (the action range)",
    "blocked": "blocked store-SKUs are never ordered (suggestion 0)",
}


def _write_folder(out: Path, manifest: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError("out", str(out), "a new or empty folder (a policy is never overwritten)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a policy folder is meant to be read
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        written = write_manifest(tmp, manifest)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


def _catalog_section(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {
        "file": CATALOG_FILE,
        "n_stores": len(arrays["store_ids"]),
        "n_skus": len(arrays["sku_ids"]),
        "arrays": {k: meaning for k, (_, meaning) in CATALOG_ARRAYS.items()},
    }


def export_sb3(
    model_path: Path,
    out: Path,
    *,
    stats_path: Path | None = None,
    config_path: Path | None = None,
    result_path: Path | None = None,
    scenario: str | None = None,
    source: dict[str, Any] | None = None,
    transfers: str | Path | None = None,
) -> dict[str, Any]:
    """Export a model trained on the SKU-agent env.

    Args:
        model_path: the saved model (``.zip``).
        stats_path: its ``VecNormalize`` statistics, if it was trained with them.
        config_path: the training ``config.yaml`` (env, algo, seeds).
        result_path: the training ``result.json`` (evaluation KPIs).
        scenario: serve this scenario's catalog instead of the training scenario's
            (the policy is shared per store-SKU, so it applies to any catalog).
        source: where the model came from (run id, paths), recorded in the manifest.
        transfers: a saved transfer planner (``policies.learned_transfers.save_planner``,
            e.g. the chain study's learned scorer) served beside the orders; default: the
            planner in the training env (``env.kwargs.transfer_policy``), if any.
    """
    from stable_baselines3.common.vec_env import VecNormalize

    from policies.export.onnx_export import INPUT, OPSET, OUTPUT, export_onnx
    from policies.rl.agent import load_agent

    if config_path is None or not Path(config_path).is_file():
        raise ConfigError("config", str(config_path), "the training run's config.yaml")
    cfg = OmegaConf.load(config_path)
    if cfg.env.kind != "sku_agents":
        raise ConfigError(
            "env.kind",
            cfg.env.kind,
            "sku_agents (a per-store-SKU policy; other envs are not served)",
        )
    bar = progress(4, f"export {Path(out).name}", unit="stage")
    bar.set_postfix_str("load the model")
    env_kwargs = OmegaConf.to_container(cfg.env.kwargs, resolve=True)
    decision_hour = float(env_kwargs.get("decision_hour", 9.0))
    max_packs = int(env_kwargs.get("max_order_packs", 8))
    agent = load_agent(
        str(model_path), cfg.algo.class_path, str(stats_path) if stats_path else None
    )
    model = agent.model
    residual = env_kwargs.get("action_mode", "packs") == "residual"
    if residual:
        action = _residual_action(env_kwargs, model)
    elif model.action_space.n != max_packs + 1:
        raise PolicyFormatError(
            f"model has {model.action_space.n} actions but the config says max_order_packs "
            f"{max_packs} (+1); export the config that trained the model"
        )
    else:
        action = {
            "type": "discrete_packs",
            "n": max_packs + 1,
            "max_order_packs": max_packs,
            "mapping": "packs = argmax(scores); units = packs × pack_units; blocked → 0",
        }
    normalization = None
    if isinstance(agent.normalizer, VecNormalize) and agent.normalizer.norm_obs:
        rms = agent.normalizer.obs_rms
        normalization = {
            "mean": np.asarray(rms.mean, dtype=np.float64).tolist(),
            "var": np.asarray(rms.var, dtype=np.float64).tolist(),
            "epsilon": float(agent.normalizer.epsilon),
            "clip_obs": float(agent.normalizer.clip_obs),
        }
    serve_scenario = scenario or str(cfg.env.scenario)
    bar.update()
    bar.set_postfix_str(f"the catalog of {serve_scenario}")
    catalog = catalog_from_scenario(serve_scenario, decision_hour)
    config_yaml = OmegaConf.to_yaml(cfg, resolve=True)
    result = json.loads(Path(result_path).read_text()) if result_path else {}
    manifest = {
        "kind": "onnx",
        "policy": str(cfg.algo.name) if "name" in cfg.algo else str(cfg.algo.class_path),
        "env": {
            **SKU_AGENTS_ENV,
            "trained_on_scenario": str(cfg.env.scenario),
            "scenario": serve_scenario,
            "decision_hour": decision_hour,
            "max_order_packs": max_packs,
        },
        "observation": {
            "features": [{"name": n, "meaning": m} for n, m in OBSERVATION],
            "version": OBSERVATION_VERSION,
            "normalization": normalization,
            "clip": "features clipped to [-1, 50] before normalisation",
        },
        "action": action,
        "rules": RULES_TEXT,
        "onnx": {"file": ONNX_FILE, "input": INPUT, "output": OUTPUT, "opset": OPSET},
        "catalog": _catalog_section(catalog),
        "training": {
            "algo": str(cfg.algo.class_path),
            "timesteps": int(model.num_timesteps),
            "seed": int(cfg.seed),
            "config_digest": hashlib.sha256(config_yaml.encode()).hexdigest(),
            "source": source or {"model_path": str(model_path)},
        },
        "evaluation": {k: v for k, v in result.items() if k.startswith("eval/")},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    bar.update()
    bar.set_postfix_str("ONNX, checked against the model")
    files = {ONNX_FILE: export_onnx(model), CATALOG_FILE: catalog_bytes(catalog)}
    files["training_config.yaml"] = config_yaml.encode()
    planner = transfers if transfers is not None else env_kwargs.get("transfer_policy")
    if planner is not None:
        _add_transfers(manifest, files, serve_scenario, _planner_params(planner))
    bar.update()
    bar.set_postfix_str("write the folder and its manifest")
    written = _write_folder(Path(out), manifest, files)
    bar.update()
    bar.close()
    return written


def _residual_action(env_kwargs: dict[str, Any], model: Any) -> dict[str, Any]:
    """The manifest's ``action`` of a residual policy: the base rule it scales, served as
    parameters, and the multiplier range."""
    from gymnasium import spaces

    if not (isinstance(model.action_space, spaces.Box) and model.action_space.shape == (1,)):
        raise PolicyFormatError(
            f"a residual policy acts in Box(-1, 1, (1,)); this model has {model.action_space} "
            "(residual transfer intents are not served: use a transfer planner)"
        )
    rule = env_kwargs.get("base_rule") or {}
    if rule.get("_target_") != "policies.configs.tuned_rule":
        raise ConfigError(
            "env.kwargs.base_rule", rule.get("_target_"), "policies.configs.tuned_rule (a "
            "tuned rule from configs/policy that the serving module runs)"
        )  # fmt: skip
    cfg = tuned_cfg(rule["scenario"], rule.get("tuned_dir", "reports/baseline"))
    conf = policy_config(str(rule["name"]), cfg)
    target = conf.pop("_target_", None)
    if target not in RULES:
        raise ConfigError("env.kwargs.base_rule.name", rule["name"], f"a rule in {sorted(RULES)}")
    build_rule({"target": target, "params": conf})  # refuse bad parameters now, not at load
    multiplier = float(env_kwargs.get("max_multiplier", 4.0))
    return {
        "type": "residual_multiplier",
        "max_multiplier": multiplier,
        "base_rule": {"target": target, "params": conf, "review_days": 1.0},
        "mapping": (
            "a = clip(scores[0], -1, 1); the base rule orders on forecast × max_multiplier ** a "
            "(a = 0: the rule exactly); blocked → 0"
        ),
    }


def _planner_params(planner: Any) -> dict[str, Any]:
    """A transfer planner's parameters from a saved planner (path), its Hydra config, or the
    planner itself."""
    from hydra.utils import instantiate

    from policies.learned_transfers import load_planner, planner_params

    if isinstance(planner, str | Path):
        planner = load_planner(planner)
    elif isinstance(planner, dict):
        planner = instantiate(planner)
    return planner_params(planner)


def _add_transfers(
    manifest: dict[str, Any], files: dict[str, bytes], scenario: str, params: dict[str, Any]
) -> None:
    """The manifest's ``transfers`` section and the scenario's courier network file."""
    build_rules(params)  # refuse bad parameters now, not at load
    road_km, city, tariff = courier_network_from_scenario(scenario)
    if tariff is None:
        raise ConfigError("scenario", scenario, "a scenario with couriers for transfers")
    files[NETWORK_FILE] = network_bytes(road_km, city)
    manifest["transfers"] = {
        "params": params,
        "courier": tariff,
        "file": NETWORK_FILE,
        "needs": "the stores of a city in one request (store_ids); one store gets none",
    }


def export_run_dir(run_dir: Path, out: Path, **kwargs: Any) -> dict[str, Any]:
    """Export the latest model of a training output folder (``experiments.train``)."""
    run_dir = Path(run_dir)
    model = run_dir / "checkpoints" / "latest.zip"
    if not model.is_file():
        raise ConfigError(
            "path", str(run_dir), "a training output folder with checkpoints/latest.zip"
        )
    return export_model_file(model, out, run_dir=run_dir, **kwargs)


def export_model_file(model: Path, out: Path, *, run_dir: Path, **kwargs: Any) -> dict[str, Any]:
    """Export a saved model with what lies beside it: ``<stem>_vecnormalize.pkl`` next to it,
    ``config.yaml`` and ``result.json`` (optional) in ``run_dir``."""
    stats = model.with_name(f"{model.stem}_vecnormalize.pkl")
    result = run_dir / "result.json"
    return export_sb3(
        model,
        out,
        stats_path=stats if stats.is_file() else None,
        config_path=run_dir / "config.yaml",
        result_path=result if result.is_file() else None,
        **kwargs,
    )


def export_mlflow_run(
    run_id: str, out: Path, *, tracking_uri: str, **kwargs: Any
) -> dict[str, Any]:
    """Export the model logged by a training run in MLflow."""
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    try:
        client.get_run(run_id)
    except mlflow.exceptions.MlflowException as err:
        raise ConfigError("run_id", run_id, f"a run in {tracking_uri}") from err
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(client.download_artifacts(run_id, "", tmp))
        model = local / "model" / "latest.zip"
        if not model.is_file():
            raise ConfigError("run_id", run_id, "a training run that logged model/latest.zip")
        return export_model_file(
            model,
            out,
            run_dir=local,
            source={"mlflow_run_id": run_id, "tracking_uri": tracking_uri},
            **kwargs,
        )


def servable_policy_names() -> list[str]:
    """The names in configs/policy whose rule the serving module runs (``policy=`` values)."""
    return sorted(
        path.stem
        for path in POLICY_DIR.glob("*.yaml")
        if OmegaConf.load(path).get("_target_") in (*RULES, TRANSFER_POLICY)
    )


def export_heuristic(
    policy: str,
    scenario: str,
    out: Path,
    *,
    tuned_dir: str = "reports/baseline",
    decision_hour: float = 9.0,
) -> dict[str, Any]:
    """Export a tuned heuristic as its parameters (no model file)."""
    cfg = tuned_cfg(scenario, tuned_dir)
    # how often the lab decides is the caller's schedule in serving (it asks every few hours)
    conf, _ = split_run_settings(policy_config(policy, cfg))
    target = conf.pop("_target_", None)
    transfers = None
    if target == TRANSFER_POLICY:  # a replenishment rule plus transfers
        from hydra.utils import instantiate

        if conf.get("predictive") is not None:
            raise ConfigError(
                "predictive", _without_targets(conf["predictive"]), "null: the served planner"
                " plans reactive transfers only (predictive ones need the demand model's"
                " calendar, which a served policy does not carry yet)",
            )  # fmt: skip
        fairness = conf.get("fairness")
        if fairness is not None and not instantiate(fairness).is_neutral:
            raise ConfigError(
                "fairness", _without_targets(fairness), "the neutral guard: the served planner"
                " does not apply the fairness guard yet, and a policy is never served with"
                " less than it was evaluated with"
            )  # fmt: skip
        transfers = _without_targets(conf["transfers"])
        conf = dict(conf["replenishment"])
        target = conf.pop("_target_", None)
    if target not in RULES:
        raise ConfigError(
            "policy",
            policy,
            f"a replenishment rule (or transfer_rules) the serving module runs: "
            f"{servable_policy_names()} "
            "(or run_id= / path= for a learned policy)",
        )
    tuned_path = tuned_file(policy, cfg)
    tuned = json.loads(tuned_path.read_text()) if tuned_path.is_file() else None
    catalog = catalog_from_scenario(scenario, decision_hour)
    files = {CATALOG_FILE: catalog_bytes(catalog)}
    served = conf if transfers is None else [conf, transfers]  # every parameter served
    digested = json.dumps(served, sort_keys=True).encode()
    manifest: dict[str, Any] = {
        "kind": "heuristic",
        "policy": policy,
        "env": {
            "id": "ShelfLife/Simulator",
            "version": 0,
            "scenario": scenario,
            "decision_hour": decision_hour,
        },
        "heuristic": {"target": target, "params": conf, "review_days": 1.0},
        "rules": RULES_TEXT,
        "catalog": _catalog_section(catalog),
        "training": {
            "tuned_file": str(tuned_path) if tuned else None,
            "train_seeds": tuned.get("train_seeds") if tuned else None,
            "config_digest": hashlib.sha256(digested).hexdigest(),
        },
        "evaluation": {"train_profit_per_day": tuned.get("best_profit_per_day")} if tuned else {},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if transfers is not None:
        _add_transfers(manifest, files, scenario, transfers)
    return _write_folder(Path(out), manifest, files)


TRANSFER_POLICY = "policies.composite.TransferRulesPolicy"


def _without_targets(conf: dict[str, Any]) -> dict[str, Any]:
    """A config's plain values: Hydra ``_target_`` keys dropped at every level."""
    return {
        k: _without_targets(v) if isinstance(v, dict) else v
        for k, v in conf.items()
        if k != "_target_"
    }
