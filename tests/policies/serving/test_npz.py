""".npz bodies: what np.savez writes is read, what is written np.load reads; pickles never."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from policies.serving import StateError, npz

ARRAYS = {
    "ints": np.arange(5),
    "text": np.array("hello ×"),
    "matrix": np.random.default_rng(0).random((3, 4)),
    "ids": np.array(["x", "yy"]),
    "empty": np.zeros((0,)),
    "flag": np.array(True),
    "big_endian": np.arange(6, dtype=">i4").reshape(2, 3),
    "fortran": np.asfortranarray(np.random.default_rng(1).random((3, 2))),
    "no_text": np.array([], dtype="U3"),
}


def savez(compressed: bool = False, **arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name, arr in want.items():
        assert got[name].dtype == arr.dtype and got[name].shape == arr.shape, name
        assert np.array_equal(got[name], arr), name


def test_written_npz_is_what_np_save_writes_and_np_load_reads():
    body = npz.write(ARRAYS)
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    with np.load(io.BytesIO(body), allow_pickle=False) as loaded:
        assert_same({k: loaded[k] for k in loaded.files}, ARRAYS)
    for name, arr in ARRAYS.items():
        if arr.flags.c_contiguous:  # np.save writes Fortran-ordered arrays as such
            saved = io.BytesIO()
            np.save(saved, arr)
            assert npz._npy(arr) == saved.getvalue(), name


@pytest.mark.parametrize("compressed", [False, True])
def test_np_savez_bodies_are_read_as_written(compressed):
    assert_same(npz.read(savez(compressed, **ARRAYS), 10**6), ARRAYS)
    assert_same(npz.read(npz.write(ARRAYS), 10**6), ARRAYS)


def test_pickles_junk_and_bombs_are_refused():
    pickled = io.BytesIO()
    np.savez(pickled, o=np.array([1, "x"], dtype=object), allow_pickle=True)
    with pytest.raises(npz.NpzError, match="object arrays need a pickle"):
        npz.read(pickled.getvalue(), 10**6)
    for junk in (b"", b"not a zip", b"PK\x03\x04junk", npz.write(ARRAYS)[:-30]):
        with pytest.raises(npz.NpzError, match=r"not a readable \.npz"):
            npz.read(junk, 10**6)
    bomb = savez(True, zeros=np.zeros(1_000_000))  # 8 MB of zeros in a few kB
    assert len(bomb) < 20_000
    with pytest.raises(npz.NpzError, match="8000128 bytes unpacked; at most 100000"):
        npz.read(bomb, 100_000)
    lying = io.BytesIO()  # a header that claims more data than the member holds
    with zipfile.ZipFile(lying, "w") as archive:
        archive.writestr("a.npy", npz._npy(np.arange(4))[:-8])
    with pytest.raises(npz.NpzError, match="does not fill shape"):
        npz.read(lying.getvalue(), 10**6)


def test_columns_of_the_wrong_kind_are_refused_by_name():
    body = savez(store_id=np.array("S1"), on_order=np.array(["3", "4"]))
    with pytest.raises(StateError, match=r"on_order: got 'text array \(<U1\)'"):
        npz.read_state(body, 10**6)
    with pytest.raises(StateError, match=r"forecast: got 'array of complex128'"):
        npz.read_state(savez(forecast=np.array([1 + 2j])), 10**6)
    state = npz.read_state(savez(store_id=np.array("S1"), weekday=np.array(3)), 10**6)
    assert state == {"store_id": "S1", "weekday": 3}
    assert type(state["weekday"]) is int
