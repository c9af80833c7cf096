"""The HTTP service: ``POST /recommend``, ``POST /feedback``, ``GET /health``, ``GET /metadata``.

* ``/recommend`` takes one store's state as JSON columns (``policies.serving.state``)
  and answers the suggestions as columns (``Recommendations.to_columns``).
* Every route but ``/health`` needs the API key in ``X-API-Key`` when one is set.
* Bodies over ``max_body_bytes`` get 413 before they are read in full.
* Malformed JSON → 400; a refused value → 422 naming the field (and row);
  unknown store or SKU ids → 422; a missing key → 401, a wrong one → 403.
* A 5xx answer carries an error id, never a stack trace (that goes to the log).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from typing import Any, Literal

import pydantic_core
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from policies.serving.errors import StateError
from policies.serving.feedback import DECISIONS, Feedback, FeedbackLog
from policies.serving.recommender import Recommender

log = logging.getLogger("shelflife.serving")
API_KEY_HEADER = "X-API-Key"


class StoreStateDoc(BaseModel):
    """A store's state for the daily decision: one entry per SKU in every list.

    Documentation of ``POST /recommend``'s body (the body is validated by
    ``policies.serving.state.parse_state``, which names the refused field and row).
    """

    store_id: str = Field(description="the store, as in the policy's catalog")
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    day: int = Field(0, ge=0, description="days since the review schedule's origin")
    sku_ids: list[str]
    on_hand_by_age: list[list[int]] = Field(description="units on hand by age in days (0 = fresh)")
    on_order: list[int]
    sales_yesterday: list[int]
    demand_yesterday: list[int] = Field(description="sold + lost sales")
    forecast: list[float] = Field(description="expected demand per day, units")
    on_shelf: list[int] | None = None
    arriving_1d: list[int] | None = Field(None, description="of on_order, arriving ≤ 1 day")
    promotion_price: list[float] | None = Field(None, description="promotional / regular price")
    price_multiplier: list[float] | None = None
    dc_on_hand: list[int] | None = None
    scale: list[float] | None = Field(None, description="expected daily demand (feature scale)")
    lead_time_days: list[float] | None = None


class SuggestionsDoc(BaseModel):
    """``POST /recommend``'s answer: one entry per SKU of the request, in its order."""

    policy: str
    store_ids: list[str]
    sku_ids: list[str]
    order_units: list[int]
    order_packs: list[int]
    reasons: list[str] | None = Field(None, description="with reasons=text")
    reason_template: str | None = Field(None, description="with reasons=structured")
    reason_terms: dict[str, list[float]] | None = Field(None, description="with reasons=structured")
    alerts: list[str] = Field(description="none, blue (stock-out risk), yellow, orange, red")
    alert_responses: list[str] = Field(description="expedite, markdown, transfer, clearance")
    rules: list[list[str]] = Field(description="blocked, case_pack, cap")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    store_id: str
    sku_id: str
    suggested_units: int = Field(ge=0)
    decision: str = Field(description=f"one of {DECISIONS}")
    final_units: int | None = Field(None, ge=0)
    reviewer: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    entries: list[FeedbackIn] = Field(min_length=1, max_length=100_000)


def _error(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]},
    )


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = JSONResponse(
            status_code=413,
            content={
                "detail": f"request body over {self.max_bytes} bytes; send fewer SKUs per call"
            },
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                return await too_big(scope, receive, send)
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooBig
            return message

        try:
            await self.app(scope, limited, send)
        except _TooBig:
            await too_big(scope, receive, send)


class _TooBig(Exception):
    pass


def create_app(
    recommender: Recommender,
    *,
    api_key: str | None = None,
    feedback_log: FeedbackLog | None = None,
    max_body_bytes: int = 4_000_000,
) -> FastAPI:
    """The service over one loaded policy."""
    manifest = recommender.manifest
    policy_name = str(manifest.get("policy"))
    app = FastAPI(
        title="ShelfLife recommender",
        version=str(manifest.get("format_version")),
        description=f"Daily order suggestions from the exported policy '{policy_name}'.",
    )
    expected = api_key.encode() if api_key else None

    def check_key(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get(API_KEY_HEADER)
        if given is None:
            raise _KeyError(401, f"missing {API_KEY_HEADER} header")
        if not hmac.compare_digest(given.encode(), expected):
            raise _KeyError(403, f"wrong {API_KEY_HEADER}")

    @app.exception_handler(_KeyError)
    async def _key_error(_: Request, err: _KeyError) -> JSONResponse:
        return JSONResponse(status_code=err.status, content={"detail": err.message})

    @app.exception_handler(StateError)
    async def _state_error(_: Request, err: StateError) -> JSONResponse:
        return _error(422, err.field, str(err))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = err.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(status_code=400, content={"detail": "malformed JSON body"})
        safe = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
        return JSONResponse(status_code=422, content={"detail": safe})

    @app.exception_handler(Exception)
    async def _internal(_: Request, err: Exception) -> JSONResponse:
        error_id = uuid.uuid4().hex[:12]
        log.exception("internal error %s", error_id)
        return JSONResponse(
            status_code=500, content={"detail": "internal error", "error_id": error_id}
        )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "policy": policy_name}

    @app.get("/metadata", dependencies=[Depends(check_key)])
    def metadata() -> dict[str, Any]:
        return recommender.metadata()

    @app.post(
        "/recommend",
        dependencies=[Depends(check_key)],
        response_model=SuggestionsDoc,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": StoreStateDoc.model_json_schema()}},
            }
        },
    )
    async def recommend(
        request: Request,
        reasons: Literal["text", "structured"] = Query(
            "text",
            description="text: one sentence per SKU; structured: reason_template plus "
            "reason_terms (one list per placeholder), for callers that render or translate",
        ),
    ) -> Response:
        try:  # pydantic-core's parser: several times faster than json.loads on big arrays
            state = pydantic_core.from_json(await request.body(), allow_inf_nan=True)
        except ValueError:
            return JSONResponse(status_code=400, content={"detail": "malformed JSON body"})
        if not isinstance(state, dict):
            return _error(422, "", "a JSON object with the state's columns")
        if "store_ids" in state:
            return _error(422, "store_ids", "one store per request: use store_id")
        columns = recommender.recommend(state).to_columns(reasons)
        body = pydantic_core.to_json({"policy": policy_name, **columns})
        return Response(content=body, media_type="application/json")

    @app.post("/feedback", dependencies=[Depends(check_key)])
    def feedback(batch: FeedbackBatch) -> dict[str, Any]:
        if feedback_log is None:
            return JSONResponse(
                status_code=404, content={"detail": "feedback is off: start with --feedback-log"}
            )
        catalog = recommender.catalog
        for i, e in enumerate(batch.entries):
            if e.store_id not in catalog.store_index:
                raise StateError(f"entries[{i}].store_id", e.store_id, "a store of the catalog")
            if e.sku_id not in catalog.sku_index:
                raise StateError(f"entries[{i}].sku_id", e.sku_id, "a SKU of the catalog")
        stored = feedback_log.record([Feedback(**e.model_dump()) for e in batch.entries])
        return {"recorded": stored, **feedback_log.summary()}

    @app.get("/feedback/summary", dependencies=[Depends(check_key)])
    def feedback_summary() -> dict[str, Any]:
        if feedback_log is None:
            return JSONResponse(status_code=404, content={"detail": "feedback is off"})
        return feedback_log.summary()

    return BodyLimit(app, max_body_bytes)  # type: ignore[return-value]


class _KeyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def policy_digest(recommender: Recommender) -> str:
    """The manifest's SHA-256: which exported policy a feedback entry refers to."""
    return hashlib.sha256((recommender.folder / "manifest.json").read_bytes()).hexdigest()


def app_from_env() -> Any:
    """App factory for ``uvicorn --factory`` (several worker processes).

    Reads ``SHELFLIFE_POLICY`` (folder), ``SHELFLIFE_API_KEY_ENV`` (name of the
    variable holding the key, optional), ``SHELFLIFE_FEEDBACK_LOG`` (optional)
    and ``SHELFLIFE_MAX_BODY_BYTES`` (optional).
    """
    import os

    recommender = Recommender.load(os.environ["SHELFLIFE_POLICY"])
    key_env = os.environ.get("SHELFLIFE_API_KEY_ENV")
    api_key = os.environ.get(key_env) if key_env else None
    if key_env and not api_key:
        raise SystemExit(f"--api-key-env {key_env}: the variable is not set or empty")
    log_path = os.environ.get("SHELFLIFE_FEEDBACK_LOG")
    feedback = FeedbackLog(log_path, policy_digest(recommender)) if log_path else None
    return create_app(
        recommender,
        api_key=api_key,
        feedback_log=feedback,
        max_body_bytes=int(os.environ.get("SHELFLIFE_MAX_BODY_BYTES", "4000000")),
    )
