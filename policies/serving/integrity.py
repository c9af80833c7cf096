"""The policy folder's manifest: written with the SHA-256 of every file, checked at load.

A folder holds ``manifest.json``, ``manifest.sha256`` (the manifest's own
checksum) and the files the manifest lists. Loading refuses a folder whose
manifest checksum, listed files or set of files differ from what was written,
and a format version this code does not know. Nothing is unpickled.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PureWindowsPath
from typing import Any

from policies.serving.errors import PolicyFormatError, PolicyIntegrityError

FORMAT_VERSION = 2  # written; 2 adds the optional ``transfers`` section and network.npz
SERVED_VERSIONS = (1, 2)  # read: a version-1 folder is a version 2 without transfers
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
KINDS = ("onnx", "heuristic")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Add the format version and every file's hash, then write the manifest and its checksum.

    Returns the manifest as written.
    """
    folder = Path(folder)
    own = (MANIFEST, MANIFEST_CHECKSUM)
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in own)
    full = {"format_version": FORMAT_VERSION, **manifest}
    full["files"] = {name: sha256_file(folder / name) for name in files}
    body = (json.dumps(full, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()
    (folder / MANIFEST).write_bytes(body)
    (folder / MANIFEST_CHECKSUM).write_text(f"{hashlib.sha256(body).hexdigest()}  {MANIFEST}\n")
    return full


def load_manifest(folder: Path) -> dict[str, Any]:
    """The verified manifest of a policy folder (every listed file checked)."""
    return load_verified(folder)[0]


def load_verified(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The verified manifest and the bytes of every listed file.

    Each file is read once and its hash checked on the very bytes returned, so
    what is used is what was checked (no window to swap a file in between).

    Raises:
        PolicyIntegrityError: a missing, changed or unlisted file, or a changed manifest.
        PolicyFormatError: an unknown format version or policy kind.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyIntegrityError(f"policy folder {folder} does not exist")
    for name in (MANIFEST, MANIFEST_CHECKSUM):
        if not (folder / name).is_file():
            raise PolicyIntegrityError(f"{folder}: {name} is missing; export the policy again")
    body = (folder / MANIFEST).read_bytes()
    expected = (folder / MANIFEST_CHECKSUM).read_text().split()[:1]
    actual = hashlib.sha256(body).hexdigest()
    if expected != [actual]:
        raise PolicyIntegrityError(
            f"{folder}: {MANIFEST} was changed after export (its SHA-256 {actual[:12]}... "
            f"does not match {MANIFEST_CHECKSUM}); refusing to load"
        )
    try:
        manifest = json.loads(body)
    except json.JSONDecodeError as err:
        raise PolicyFormatError(f"{folder}: {MANIFEST} is not valid JSON ({err})") from err
    version = manifest.get("format_version")
    if version not in SERVED_VERSIONS or isinstance(version, bool):
        raise PolicyFormatError(
            f"{folder}: format_version {version!r} is not served by this version; "
            f"allowed: {list(SERVED_VERSIONS)} (export the policy again with this version)"
        )
    if version == 1 and "transfers" in manifest:
        raise PolicyFormatError(f"{folder}: a transfers section needs format_version 2")
    if manifest.get("kind") not in KINDS:
        raise PolicyFormatError(f"{folder}: kind {manifest.get('kind')!r}; allowed: {KINDS}")
    listed: dict[str, str] = manifest.get("files", {})
    for name in listed:
        # plain names of files in the folder: a path would read outside what was verified
        if (
            not isinstance(name, str)
            or name in ("", ".", "..")
            or "/" in name
            or "\\" in name
            or PureWindowsPath(name).drive
        ):
            raise PolicyIntegrityError(
                f"{folder}: the manifest lists {name!r}; allowed: names of files directly "
                "in the policy folder (no paths)"
            )
    entries = {p.name: p for p in folder.iterdir()}
    own = {MANIFEST, MANIFEST_CHECKSUM}
    if extra := sorted(set(entries) - set(listed) - own):
        raise PolicyIntegrityError(
            f"{folder}: entries not in the manifest: {extra}; allowed: only the listed files "
            "(no other files or folders); refusing to load"
        )
    if links := sorted(n for n, p in entries.items() if p.is_symlink() or not p.is_file()):
        raise PolicyIntegrityError(
            f"{folder}: {links} are not plain files; allowed: plain files only; refusing to load"
        )
    contents: dict[str, bytes] = {}
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise PolicyIntegrityError(f"{folder}: {name} is listed in the manifest but missing")
        contents[name] = data = path.read_bytes()
        if (actual := hashlib.sha256(data).hexdigest()) != digest:
            raise PolicyIntegrityError(
                f"{folder}: {name} was changed after export (SHA-256 {actual[:12]}... "
                f"but the manifest says {digest[:12]}...); refusing to load"
            )
    return manifest, contents
