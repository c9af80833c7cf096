"""Training checkpoints that survive a kill at any moment.

A checkpoint is a folder ``<output_dir>/checkpoints/step_<timesteps>/`` holding
``model.zip``, ``vecnormalize.pkl`` (when the model normalises) and
``meta.json``. It is written under a temporary name, every file and the folder
fsynced, then renamed into place: a folder named ``step_*`` is always complete.
The newest ``keep`` are kept, plus the best evaluation's (``best.json`` names it).

``checkpoints/latest.zip`` and ``latest_vecnormalize.pkl`` are copies of the
newest, each replaced atomically, for the tools that read a run folder (export,
evaluate); resuming never reads them but the ``step_*`` folders, newest readable
first, and says which one it took.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import ConfigError

MODEL = "model.zip"
STATS = "vecnormalize.pkl"
META = "meta.json"
BEST = "best.json"
LATEST_MODEL = "latest.zip"
LATEST_STATS = "latest_vecnormalize.pkl"
PREFIX = "step_"
TMP_PREFIX = ".tmp_"


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint folder."""

    folder: Path
    timesteps: int

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL

    @property
    def stats_path(self) -> Path | None:
        path = self.folder / STATS
        return path if path.exists() else None


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_file(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` atomically (temporary name, fsync, rename)."""
    tmp = target.with_name(f"{TMP_PREFIX}{target.name}.{os.getpid()}")
    shutil.copyfile(source, tmp)
    _fsync_file(tmp)
    os.replace(tmp, target)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(payload) + "\n")
    _fsync_file(tmp)
    os.replace(tmp, path)


def save_checkpoint(
    model: Any, checkpoint_dir: Path, keep: int, extra: dict[str, Any] | None = None
) -> Checkpoint:
    """Write the model (and its ``VecNormalize``) as a new complete checkpoint, publish it
    as ``latest.*`` and drop all but the newest ``keep`` (and the best).

    Args:
        model: an SB3 model.
        checkpoint_dir: ``<output_dir>/checkpoints``.
        keep: how many of the newest to keep (>= 1).
        extra: more fields for ``meta.json``.
    """
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ConfigError("checkpoint_keep", keep, "an integer >= 1")
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    timesteps = int(model.num_timesteps)
    final = checkpoint_dir / f"{PREFIX}{timesteps:012d}"
    normalizer = model.get_vec_normalize_env()
    if not (final.exists() and readable(Checkpoint(final, timesteps)) is None):
        # a complete folder of the same step is the same weights (the end of a run that
        # just checkpointed): keep it rather than open a moment with no folder of that step
        _write_folder(model, normalizer, final, timesteps, extra)
    _fsync_dir(checkpoint_dir)
    _replace_file(final / MODEL, checkpoint_dir / LATEST_MODEL)
    if normalizer is not None:
        _replace_file(final / STATS, checkpoint_dir / LATEST_STATS)
    _prune(checkpoint_dir, keep)
    return Checkpoint(final, timesteps)


def _write_folder(
    model: Any, normalizer: Any, final: Path, timesteps: int, extra: dict[str, Any] | None
) -> None:
    tmp = final.with_name(f"{TMP_PREFIX}{final.name}.{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save(tmp / MODEL)
    if normalizer is not None:
        normalizer.save(str(tmp / STATS))
    (tmp / META).write_text(json.dumps({"timesteps": timesteps, **(extra or {})}) + "\n")
    for path in tmp.iterdir():
        _fsync_file(path)
    _fsync_dir(tmp)
    if final.exists():  # an unreadable folder of this step: move it out of the way first
        _discard(final)
    os.rename(tmp, final)


def _discard(folder: Path) -> None:
    """Rename out of the ``step_*`` namespace first (atomic), then delete: a kill during the
    deletion never leaves a half-deleted ``step_*`` folder."""
    doomed = folder.with_name(f"{TMP_PREFIX}gone_{folder.name}.{os.getpid()}")
    os.rename(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def mark_best(checkpoint_dir: Path, checkpoint: Checkpoint, metric: str, value: float) -> None:
    """Record ``checkpoint`` as the best so far by ``metric`` (``score``: higher is better);
    pruning keeps it."""
    _write_json(
        checkpoint_dir / BEST,
        {
            "folder": checkpoint.folder.name,
            "timesteps": checkpoint.timesteps,
            "metric": metric,
            "score": value,
        },
    )


def best_checkpoint(checkpoint_dir: Path) -> dict[str, Any] | None:
    """``best.json``'s content, or None."""
    path = checkpoint_dir / BEST
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _complete(checkpoint_dir: Path) -> list[Path]:
    """The complete checkpoint folders, oldest first."""
    if not checkpoint_dir.is_dir():
        return []
    return sorted(p for p in checkpoint_dir.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


def _prune(checkpoint_dir: Path, keep: int) -> None:
    best = best_checkpoint(checkpoint_dir)
    protected = {best["folder"]} if best else set()
    folders = _complete(checkpoint_dir)
    for folder in folders[: max(0, len(folders) - keep)]:
        if folder.name not in protected:
            _discard(folder)
    for leftover in checkpoint_dir.glob(f"{TMP_PREFIX}*"):  # a write a kill interrupted
        if not leftover.name.endswith(f".{os.getpid()}"):
            with contextlib.suppress(OSError):
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def readable(checkpoint: Checkpoint) -> str | None:
    """None if the checkpoint's files read back whole, else why not."""
    try:
        meta = json.loads((checkpoint.folder / META).read_text())
        if int(meta["timesteps"]) != checkpoint.timesteps:
            return f"meta.json says {meta['timesteps']} timesteps"
        with zipfile.ZipFile(checkpoint.model_path) as archive:
            bad = archive.testzip()
        if bad is not None:
            return f"{MODEL}: {bad} is corrupt"
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        return f"{type(err).__name__}: {err}"
    return None


def newest_readable(checkpoint_dir: Path) -> Checkpoint | None:
    """The newest complete checkpoint whose files read back; older ones are tried in turn
    (each skipped one is reported on stderr with the reason)."""
    for folder in reversed(_complete(checkpoint_dir)):
        try:
            timesteps = int(folder.name.removeprefix(PREFIX))
        except ValueError:
            continue
        candidate = Checkpoint(folder, timesteps)
        why = readable(candidate)
        if why is None:
            return candidate
        print(f"checkpoint {folder} is unreadable ({why}); trying an older one", file=sys.stderr)
    return None
