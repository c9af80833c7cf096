"""Export a policy folder for the serving module.

    python scripts/export_policy.py run_id=<mlflow run> out=<folder> [tracking_uri=...]
    python scripts/export_policy.py path=<training output folder or model .zip> out=<folder>
    python scripts/export_policy.py policy=base_stock scenario=city_fresh out=<folder>

Optional: ``scenario=`` with a model serves another scenario's catalog;
``transfers=<transfers.json>`` with a model serves that learned transfer planner
(e.g. the chain study's ``<output_dir>/pair_scorer/transfers.json``) beside its
orders (default: the planner of its training env, if any);
``tuned_dir=`` (default reports/baseline) for heuristics. Prints one JSON line
with the folder and the manifest's digest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.export.exporter import (
    export_heuristic,
    export_mlflow_run,
    export_model_file,
    export_run_dir,
)
from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
KEYS = {"run_id", "path", "policy", "scenario", "out", "tracking_uri", "tuned_dir", "transfers"}
DEFAULT_TRACKING_URI = f"sqlite:///{REPO / 'mlruns' / 'mlflow.db'}"


def parse_args(argv: list[str]) -> dict[str, str]:
    """The ``key=value`` arguments, read with Hydra's override grammar (quoting as in every
    other command of the lab: ``out='outputs/my policy'``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    args: dict[str, str] = {}
    parser = OverridesParser.create()
    for item in argv:
        allowed = (
            f"key=value with key in {sorted(KEYS)}; quote a value with = or ~ in it"
            " (out='outputs/lr=0.1')"
        )
        try:
            (override,) = parser.parse_overrides([item])
        except OverrideParseException as err:
            raise ConfigError("argument", item, allowed) from err
        value = override.value()
        if override.key_or_group not in KEYS or override.is_add() or override.is_delete():
            raise ConfigError("argument", item, allowed)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(item.partition("=")[0], value, "one plain value (a path, a name)")
        # the text as typed (2024.10 stays 2024.10, not the float 2024.1), unquoted
        raw = item.partition("=")[2]
        quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\""
        args[override.key_or_group] = value if quoted else raw
    sources = [k for k in ("run_id", "path", "policy") if k in args]
    if len(sources) != 1:
        raise ConfigError("source", sources, "exactly one of run_id=, path=, policy=")
    if "out" not in args:
        raise ConfigError("out", None, "out=<folder> for the exported policy")
    if "policy" in args and "scenario" not in args:
        raise ConfigError("scenario", None, "scenario=<name> with policy=")
    if "transfers" in args and ("policy" in args or not Path(args["transfers"]).is_file()):
        raise ConfigError(
            "transfers", args["transfers"], "a saved transfer planner (.json) with run_id= or path="
        )
    return args


def export(args: dict[str, str]) -> dict:
    out = Path(args["out"])
    if "policy" in args:
        return export_heuristic(
            args["policy"],
            args["scenario"],
            out,
            tuned_dir=args.get("tuned_dir", "reports/baseline"),
        )
    kwargs = {"scenario": args.get("scenario"), "transfers": args.get("transfers")}
    if "run_id" in args:
        uri = args.get("tracking_uri", DEFAULT_TRACKING_URI)
        return export_mlflow_run(args["run_id"], out, tracking_uri=uri, **kwargs)
    path = Path(args["path"])
    if path.is_dir():
        return export_run_dir(path, out, **kwargs)
    if path.suffix == ".zip" and path.is_file():  # <run>/checkpoints/<name>.zip
        return export_model_file(path, out, run_dir=path.parent.parent, **kwargs)
    raise ConfigError("path", str(path), "a training output folder or a saved model .zip")


def main(argv: list[str] | None = None) -> dict:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        manifest = export(args)
    except ConfigError as err:
        print(f"export_policy: {err}", file=sys.stderr)
        raise SystemExit(2) from err
    out = Path(args["out"])
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    line = {
        "out": str(out),
        "kind": manifest["kind"],
        "policy": manifest["policy"],
        "files": sorted(manifest["files"]),
        "manifest_sha256": digest,
    }
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main()
