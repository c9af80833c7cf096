"""Serve an exported policy over HTTP.

    python scripts/serve.py --policy DIR [--host 127.0.0.1] [--port 8080]
        [--api-key-env VAR] [--feedback-log PATH] [--max-body-bytes N] [--workers N]

OpenAPI docs at ``/docs``. The policy folder is verified before the server
starts; a tampered folder stops it with the reason.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--policy", required=True, help="exported policy folder")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--api-key-env", default=None, help="variable holding the API key")
    parser.add_argument("--feedback-log", default=None, help="append-only review feedback log")
    parser.add_argument("--max-body-bytes", type=int, default=4_000_000)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--no-docs", action="store_true", help="serve no /docs and no /openapi.json"
    )
    args = parser.parse_args(argv)

    import uvicorn

    from policies.serving import Recommender, ServingError

    try:  # verify before forking workers, so a bad folder fails once, clearly
        Recommender.load(args.policy)
    except ServingError as err:
        parser.exit(2, f"serve: {err}\n")
    if args.api_key_env and not os.environ.get(args.api_key_env):
        parser.exit(2, f"serve: --api-key-env {args.api_key_env}: the variable is not set\n")
    os.environ["SHELFLIFE_POLICY"] = str(Path(args.policy).resolve())
    if args.api_key_env:
        os.environ["SHELFLIFE_API_KEY_ENV"] = args.api_key_env
    if args.feedback_log:
        os.environ["SHELFLIFE_FEEDBACK_LOG"] = str(Path(args.feedback_log).resolve())
    os.environ["SHELFLIFE_MAX_BODY_BYTES"] = str(args.max_body_bytes)
    os.environ["SHELFLIFE_DOCS"] = "0" if args.no_docs else "1"
    uvicorn.run(
        "policies.serving.http:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )


if __name__ == "__main__":
    main()
