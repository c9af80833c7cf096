"""Load test of the HTTP service on loopback: one store, many SKUs, fixed duration.

    python scripts/load_test.py --policy DIR [--skus 1000] [--duration 30]
        [--format json|npz] [--reasons text|structured]
        [--connections 8] [--workers 2] [--url http://127.0.0.1:PORT]

Starts ``scripts/serve.py`` (unless ``--url`` points at a running server),
sends ``POST /recommend`` for one store with ``--skus`` SKUs over keep-alive
connections, rotating through ``--states`` (32) different valid states, each
with its own random pick of SKUs (so no answer can be replayed), and prints
one JSON line: requests, requests/s, errors, p50 / p99 / max latency in ms,
payload sizes and, when it started the server, the CPU time per request of
the server's processes and of this client. A benchmark, not a test.

``--format npz`` sends each state as an ``.npz`` (``np.savez``: int32 units,
float64 forecasts, unicode ids) and asks for an ``.npz`` answer; JSON is the default.

The client is one process with one event loop (uvloop when installed): each
connection sends a request, reads the status line, headers and exactly
``Content-Length`` bytes of body into a reused buffer, records the latency and
the status, and sends the next. Every response's status is checked; anything
but 200 counts as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policies.serving.catalog import load_catalog  # noqa: E402

NPZ = "application/x-npz"


def synthetic_states(
    catalog_path: Path, n_skus: int, count: int, seed: int
) -> tuple[str, list[dict]]:
    """``count`` valid states of the catalog's store with the most orderable SKUs."""
    cat = load_catalog(catalog_path)
    orderable = ~cat["blocked"]
    store = int(np.argmax(orderable.sum(axis=1)))
    skus = np.flatnonzero(orderable[store])
    if len(skus) < n_skus:
        raise SystemExit(
            f"--skus {n_skus}: the catalog's largest store has {len(skus)} orderable SKUs; "
            "export the policy with scenario=regional_chain for 1,000+"
        )
    rng = np.random.default_rng(seed)
    store_id = str(cat["store_ids"][store])
    life = cat["shelf_life_days"]
    states = []
    for _ in range(count):
        pick = np.sort(rng.choice(skus, size=n_skus, replace=False))
        scale = cat["scale"][store, pick]
        ages = np.minimum(np.where(life[pick] > 0, life[pick], cat.n_ages), 4)
        by_age = np.zeros((n_skus, 4), dtype=np.int64)
        for a in range(4):  # one vectorised draw per age column
            by_age[:, a] = np.where(a < ages, rng.poisson(scale / 2), 0)
        on_order = rng.poisson(scale)
        demand = rng.poisson(scale)
        states.append(
            {
                "store_id": store_id,
                "weekday": int(rng.integers(0, 7)),
                "sku_ids": [str(s) for s in cat["sku_ids"][pick]],
                "on_hand_by_age": by_age.tolist(),
                "on_order": on_order.tolist(),
                "arriving_1d": rng.binomial(on_order, 0.5).tolist(),
                "sales_yesterday": rng.binomial(demand, 0.9).tolist(),
                "demand_yesterday": demand.tolist(),
                "forecast": np.round(scale * rng.uniform(0.8, 1.2, n_skus), 1).tolist(),
            }
        )
    return store_id, states


def npz_body(state: dict) -> bytes:
    """The state as ``np.savez`` columns: ids unicode, units int32, forecasts float64."""
    arrays = {}
    for name, values in state.items():
        if name in ("store_id", "sku_ids"):
            arrays[name] = np.array(values, dtype=str)
        elif name == "forecast":
            arrays[name] = np.array(values, dtype=np.float64)
        else:
            arrays[name] = np.array(values, dtype=np.int32 if name != "weekday" else np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def http_request(
    host: str, port: int, path: str, body: bytes, api_key: str | None, fmt: str = "json"
) -> bytes:
    media = NPZ if fmt == "npz" else "application/json"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {media}\r\n"
        f"Accept: {media}\r\nContent-Length: {len(body)}\r\n"
    )
    if api_key:
        head += f"X-API-Key: {api_key}\r\n"
    return (head + "\r\n").encode() + body


class _Connection(asyncio.BufferedProtocol):
    """One keep-alive connection sending the requests back to back until ``stop_at``."""

    def __init__(self, requests: list[bytes], stop_at: float, run: _Run) -> None:
        self.requests = requests
        self.stop_at = stop_at
        self.run = run
        self.buffer = bytearray(1 << 20)  # reused for every response (grown if needed)
        self.filled = 0
        self.expected = -1  # bytes of the response in all, once its headers are in
        self.status = b""
        self.sent_at = 0.0
        self.count = 0
        self.done = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        if time.perf_counter() >= self.stop_at:
            self.transport.close()  # type: ignore[union-attr]
            return
        self.filled, self.expected = 0, -1
        self.sent_at = time.perf_counter()
        self.transport.write(self.requests[self.count % len(self.requests)])  # type: ignore[union-attr]
        self.count += 1

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.filled == len(self.buffer):  # a bigger buffer (the old one may still be viewed)
            bigger = bytearray(2 * len(self.buffer))
            bigger[: self.filled] = self.buffer
            self.buffer = bigger
        return memoryview(self.buffer)[self.filled :]

    def buffer_updated(self, nbytes: int) -> None:
        self.filled += nbytes
        if self.expected < 0:
            end = self.buffer.find(b"\r\n\r\n", 0, self.filled)
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            self.status = head.partition(b"\r\n")[0]
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self.run.errors.append("response without content-length")
                self.transport.close()  # type: ignore[union-attr]
                return
            value = head[at + 17 :].partition(b"\r\n")[0]
            self.expected = end + 4 + int(value)
        if self.filled < self.expected:
            return
        self.run.latencies.append(time.perf_counter() - self.sent_at)
        self.run.response_bytes += self.filled
        if not self.status.startswith(b"http/1.1 200 ") or self.filled != self.expected:
            self.run.errors.append(self.status.decode(errors="replace") or "bad response")
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if time.perf_counter() < self.stop_at:
            self.run.errors.append(f"connection lost: {exc or 'closed by the server'}")
        if not self.done.done():
            self.done.set_result(None)


class _Run:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.response_bytes = 0


async def run_load(
    host: str, port: int, requests: list[bytes], duration_s: float, connections: int
) -> tuple[_Run, float]:
    run = _Run()
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    stop_at = start + duration_s
    opened = []
    for i in range(connections):  # each starts at another state, spread over the rotation
        start_at = i * len(requests) // connections
        shifted = requests[start_at:] + requests[:start_at]
        _, conn = await loop.create_connection(
            lambda s=shifted: _Connection(s, stop_at, run), host, port
        )
        opened.append(conn)
    await asyncio.gather(*(c.done for c in opened))
    return run, time.perf_counter() - start


def _run_async(coro: object) -> object:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(host: str, port: int, timeout_s: float = 60.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                if b"200" in s.recv(100):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on {host}:{port} did not become healthy in {timeout_s} s")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (from /proc; just the process elsewhere)."""
    found, todo = [pid], [pid]
    while todo:
        parent = todo.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return found


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--policy", required=True, type=Path)
    p.add_argument("--skus", type=int, default=1000)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--url", default=None, help="a running server (default: start one)")
    p.add_argument("--api-key-env", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--states",
        type=int,
        default=32,
        help="distinct states (and SKU lists) to rotate through; with 1,024 the server's "
        "memory of the last 128 SKU lists (per worker) never hits",
    )
    p.add_argument(
        "--reasons", choices=("text", "structured"), default="text", help="reasons= of the request"
    )
    p.add_argument(
        "--format", choices=("json", "npz"), default="json", help="request and answer bodies"
    )
    args = p.parse_args(argv)

    if args.states < 1:
        p.error(f"--states: got {args.states}; allowed: an integer >= 1")
    _, states = synthetic_states(args.policy / "catalog.npz", args.skus, args.states, args.seed)
    if args.format == "npz":
        bodies = [npz_body(s) for s in states]
    else:
        bodies = [json.dumps(s, separators=(",", ":")).encode() for s in states]
    api_key = os.environ.get(args.api_key_env) if args.api_key_env else None
    server = None
    if args.url:
        parsed = urlparse(args.url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    else:
        host, port = "127.0.0.1", _free_port()
        cmd = [sys.executable, str(REPO / "scripts" / "serve.py"), "--policy", str(args.policy)]
        cmd += ["--host", host, "--port", str(port), "--workers", str(args.workers)]
        if args.api_key_env:
            cmd += ["--api-key-env", args.api_key_env]
        server = subprocess.Popen(cmd)
    try:
        _wait_healthy(host, port)
        path = f"/recommend?reasons={args.reasons}"
        requests = [http_request(host, port, path, b, api_key, args.format) for b in bodies]
        _run_async(run_load(host, port, requests, 2.0, args.connections))  # warm-up
        serving = _tree(server.pid) if server is not None else []
        server_cpu, client_cpu = sum(map(_cpu_s, serving)), time.process_time()
        measured = run_load(host, port, requests, args.duration, args.connections)
        run, wall = _run_async(measured)  # type: ignore[misc]
        server_cpu = sum(map(_cpu_s, serving)) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    done = len(run.latencies)
    ms = np.array(run.latencies) * 1e3
    result = {
        "skus_per_request": args.skus,
        "distinct_states": args.states,
        "format": args.format,
        "reasons": args.reasons,
        "connections": args.connections,
        "server_workers": args.workers if server is not None else None,
        "duration_s": round(wall, 2),
        "requests": done,
        "requests_per_s": round(done / wall, 1),
        "errors": len(run.errors),
        "first_errors": run.errors[:3],
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if done else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if done else None,
        "max_ms": round(float(ms.max()), 2) if done else None,
        "request_bytes_mean": int(np.mean([len(b) for b in bodies])),
        "response_bytes_mean": int(run.response_bytes / done) if done else None,
        "server_cpu_ms_per_request": round(server_cpu * 1e3 / done, 2)
        if serving and done
        else None,
        "client_cpu_ms_per_request": round(client_cpu * 1e3 / done, 2) if done else None,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
