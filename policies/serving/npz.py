"""A store's state and its suggestions as ``.npz`` (numpy's zip of ``.npy`` arrays), for HTTP.

The binary columnar alternative to JSON on ``POST /recommend``: a request body
with ``Content-Type: application/x-npz`` holds one array per column of
``policies.serving.state`` (0-d arrays for ``store_id``, ``weekday`` and ``day``;
``on_hand_by_age`` 2-D), as ``np.savez`` (or ``np.savez_compressed``) writes it,
and is then validated by ``parse_state`` like any other state. ``Accept:
application/x-npz`` answers the columns of ``Recommendations.to_arrays`` in an
uncompressed ``.npz`` that ``np.load(..., allow_pickle=False)`` reads.

Reading is what ``np.load(..., allow_pickle=False)`` does, without its cost per
array (a tenth of a millisecond): ``zipfile`` reads the members (checking their
CRC), numpy's own header parser reads each ``.npy`` header (the usual header
is matched first), and object arrays -- the only ones that need a pickle -- are
refused. Members must add up, uncompressed, to at most the body limit, so a
small compressed body cannot unpack into a large one; each array's data must
fill its member exactly.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from policies.serving.errors import StateError

MEDIA_TYPE = "application/x-npz"
ID_COLUMNS = frozenset({"store_id", "store_ids", "sku_ids"})
_NUMBERS = frozenset("iuf")  # int, unsigned, float (a bool is not a number of units)
_MAGIC_1_0 = b"\x93NUMPY\x01\x00"
# the header numpy writes for a plain array, e.g.
# {'descr': '<i8', 'fortran_order': False, 'shape': (3,), }
_PLAIN_HEADER = re.compile(
    r"\{'descr': '([<>|=][a-zA-Z]\d*)', 'fortran_order': (False|True), "
    r"'shape': \(([\d, ]*)\), \} *\n"
)
# zip records of a stored member (version 2.0, no flags, 1980-01-01 00:00) and the directory's end
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DOS_DATE = (0 << 9) | (1 << 5) | 1


class NpzError(ValueError):
    """A body that is not a readable ``.npz`` of plain arrays (HTTP 400)."""


def read_state(body: bytes, max_bytes: int) -> dict[str, Any]:
    """The state's columns from an ``.npz`` body, ready for ``parse_state``.

    Ids come back as (lists of) str, 0-d arrays as Python scalars, numeric
    columns as arrays.

    Raises:
        NpzError: not a zip of ``.npy`` arrays, object arrays (pickles), or over ``max_bytes``.
        StateError: a column of the wrong kind (text where numbers belong, or bytes).
    """
    return {name: _column(name, arr) for name, arr in read(body, max_bytes).items()}


def read(body: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` body, by name (without ``.npy``).

    Raises:
        NpzError: see ``read_state``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            if unpacked > max_bytes:
                raise NpzError(f"arrays of {unpacked} bytes unpacked; at most {max_bytes}")
            return {
                m.filename.removesuffix(".npy"): _array(archive.read(m), m.filename)
                for m in members
            }
    except NpzError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, struct.error) as err:
        raise NpzError(f"not a readable .npz archive (np.savez): {err}") from None


def _array(data: bytes, name: str) -> np.ndarray:
    """One ``.npy`` member as an array, with no pickle and no copy."""
    header = None
    if data[:8] == _MAGIC_1_0:  # the usual case: one regex instead of numpy's literal_eval
        start = 10 + int.from_bytes(data[8:10], "little")
        header = _PLAIN_HEADER.fullmatch(data[10:start].decode("latin-1"))
    if header is not None:
        dtype = np.dtype(header[1])
        fortran = header[2] == "True"
        shape = tuple(int(d) for d in header[3].split(",") if d.strip())
    else:
        stream = io.BytesIO(data)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        start = stream.tell()
    if dtype.hasobject:
        raise NpzError(f"{name}: object arrays need a pickle; refused")
    count = math.prod(shape)
    if len(data) - start != count * dtype.itemsize:
        raise NpzError(f"{name}: the data does not fill shape {shape} of {dtype}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=start)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def _column(name: str, arr: np.ndarray) -> Any:
    if arr.dtype.kind == "U":
        if name not in ID_COLUMNS:
            raise StateError(name, f"text array ({arr.dtype})", "numbers (int or float)")
        return arr.tolist()  # str, or a list of str
    if arr.dtype.kind not in _NUMBERS:
        raise StateError(name, f"array of {arr.dtype}", "numbers, or unicode text for ids")
    if arr.ndim == 0:
        return arr.item()  # int / float: checked by parse_state like JSON scalars
    return arr


def write(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays as an uncompressed ``.npz``: what ``np.savez`` writes, faster.

    One ``.npy`` (format 1.0) per array in a plain zip archive (stored, with CRCs).
    """
    parts, directory, offset = [], [], 0
    for name, arr in arrays.items():
        data = _npy(np.asarray(arr))
        filename = f"{name}.npy".encode()
        crc, size = zlib.crc32(data), len(data)
        local = _LOCAL.pack(0x04034B50, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(filename), 0)
        parts += [local, filename, data]
        central = _CENTRAL.pack(
            0x02014B50, 20, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(filename), 0, 0, 0, 0, 0,
            offset,
        )  # fmt: skip
        directory += [central, filename]
        offset += len(local) + len(filename) + size
    listing = b"".join(directory)
    count = len(directory) // 2
    parts += [listing, _END.pack(0x06054B50, 0, 0, count, count, len(listing), offset, 0)]
    return b"".join(parts)


def _npy(arr: np.ndarray) -> bytes:
    """``np.save``'s bytes for a plain array (format 1.0, header padded to 64 bytes)."""
    if arr.dtype.hasobject or arr.dtype.names is not None:
        raise ValueError(f"plain arrays only; got {arr.dtype}")
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    descr = np.lib.format.dtype_to_descr(arr.dtype)
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {arr.shape}, }}"
    pad = 63 - (len(_MAGIC_1_0) + 2 + len(header)) % 64  # then "\n": a multiple of 64
    header += " " * pad + "\n"
    return _MAGIC_1_0 + struct.pack("<H", len(header)) + header.encode("latin-1") + arr.tobytes()
