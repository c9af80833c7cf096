"""Load test of the HTTP service on loopback: one store, many SKUs, fixed duration.

    python scripts/load_test.py --policy DIR [--skus 1000] [--duration 30]
        [--connections 8] [--workers 2] [--url http://127.0.0.1:PORT]

Starts ``scripts/serve.py`` (unless ``--url`` points at a running server),
sends ``POST /recommend`` for one store with ``--skus`` SKUs over keep-alive
connections, rotating through 32 different valid states (so no answer can
be replayed), and prints one JSON line: requests, requests/s, errors, p50 /
p99 / max latency in ms, payload sizes. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
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


def http_request(host: str, port: int, path: str, body: bytes, api_key: str | None) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    if api_key:
        head += f"X-API-Key: {api_key}\r\n"
    return (head + "\r\n").encode() + body


async def _one_connection(
    host: str, port: int, requests: list[bytes], stop_at: float, latencies: list, errors: list
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if b" 200 " not in status_line:
                errors.append(status_line.decode(errors="replace").strip())
    finally:
        writer.close()


async def run_load(
    host: str, port: int, requests: list[bytes], duration_s: float, connections: int
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    stop_at = start + duration_s
    await asyncio.gather(
        *(
            _one_connection(host, port, requests, stop_at, latencies, errors)
            for _ in range(connections)
        )
    )
    return latencies, errors, time.perf_counter() - start


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
        "--reasons", choices=("text", "structured"), default="text", help="reasons= of the request"
    )
    args = p.parse_args(argv)

    _, states = synthetic_states(args.policy / "catalog.npz", args.skus, 32, args.seed)
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
        requests = [http_request(host, port, path, b, api_key) for b in bodies]
        asyncio.run(run_load(host, port, requests, 2.0, args.connections))  # warm-up
        latencies, errors, wall = asyncio.run(
            run_load(host, port, requests, args.duration, args.connections)
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    ms = np.array(latencies) * 1e3
    result = {
        "skus_per_request": args.skus,
        "reasons": args.reasons,
        "connections": args.connections,
        "server_workers": args.workers if server is not None else None,
        "duration_s": round(wall, 2),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if len(ms) else None,
        "max_ms": round(float(ms.max()), 2) if len(ms) else None,
        "request_bytes_mean": int(np.mean([len(b) for b in bodies])),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
