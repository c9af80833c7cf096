"""The HTTP service: ``POST /recommend``, ``POST /feedback``, transfer options and decisions,
``GET /health``, ``GET /metadata``.

* ``/recommend`` takes one store's state as JSON columns (``policies.serving.state``),
  or a city's stores (``store_ids``) for a policy that plans transfers,
  and answers the suggestions as columns (``Recommendations.to_columns``). With
  ``Content-Type: application/x-npz`` the body is an ``.npz`` of the same columns,
  and ``Accept: application/x-npz`` answers one (``policies.serving.npz``).
* ``POST /transfer-options`` (a policy that plans transfers) takes a city's state and
  answers each transfer alert with up to three options for the store manager;
  ``POST /transfer-decision`` records the manager's decisions (accepted, changed,
  vetoed: nothing moves) in the feedback log. Option ids are signed by the server
  (``policies.serving.transfer_options``): an id it did not issue is a 422.
* ``GET /review`` is the store manager's page (``policies.serving.review_page``): it
  holds no data and reaches everything through the keyed routes with the key typed in.
* Every route but ``/health`` and ``/review`` needs the API key in ``X-API-Key`` when one is set,
  the documentation included: ``GET /openapi.json`` and ``GET /docs`` (one
  self-contained page: the Swagger UI assets, installed with ``swagger-ui-bundle``,
  and the schema inline, so nothing is fetched from elsewhere; ``docs=False`` turns
  both off). The schema declares the key as an ``apiKey`` security scheme and
  every 4xx answer.
* A JSON object with a key given twice is refused (422 naming the key), never
  "last one wins".
* Bodies over ``max_body_bytes`` get 413 before they are read in full.
* Malformed JSON or npz → 400; a refused value → 422 naming the field (and row);
  unknown store or SKU ids → 422; a missing key → 401, a wrong one → 403.
* A 5xx answer carries an error id, never a stack trace (that goes to the log).

``create_app`` returns a small ASGI front (``Service``): ``POST /recommend``
goes straight from it to ``RecommendRoute`` (key, query, body limit, answer),
skipping the framework's routing, dependency and middleware layers -- a few
hundred microseconds per request at hundreds of requests per second; every
other path (docs, feedback, metadata) is the FastAPI app. The FastAPI route of
``/recommend`` documents the endpoint in the OpenAPI schema and answers the
same way through the same ``RecommendRoute`` when the app is used on its own.
"""

from __future__ import annotations

import gc
import hmac
import html
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import numpy as np
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies.serving import npz
from policies.serving.errors import StateError
from policies.serving.feedback import DECISIONS, Feedback, FeedbackLog
from policies.serving.recommender import REASONS, Recommender
from policies.serving.review_page import CONTENT_SECURITY_POLICY
from policies.serving.review_page import PAGE as REVIEW_PAGE
from policies.serving.state_json import DuplicateKeyError, read_json, read_json_object
from policies.serving.transfer_options import OptionSigner

log = logging.getLogger("shelflife.serving")
API_KEY_HEADER = "X-API-Key"


class StoreStateDoc(BaseModel):
    """A store's state for the daily decision: one entry per SKU in every list.

    Documentation of ``POST /recommend``'s body (the body is validated by
    ``policies.serving.state.parse_state``, which names the refused field and row).
    """

    # optional, not nullable: send one of the two (the schema says so; null is refused)
    store_id: str = Field(None, description="the store, as in the policy's catalog")  # type: ignore[assignment]
    store_ids: list[str] = Field(  # type: ignore[assignment]
        None, description="transfer policies only, instead of store_id: each row's store"
    )
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
    dc_life_left_days: list[float] | None = None
    forecast_error: list[float] | None = None


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
    transfer_units: list[int] | None = Field(
        None, description="transfer policies: units to send from the row's store-SKU"
    )
    transfer_to: list[str] | None = Field(None, description="destination store id, '' for none")
    transfer_reasons: list[str] | None = Field(None, description="why, '' for none")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    store_id: str
    sku_id: str
    suggested_units: int = Field(ge=0)
    decision: str = Field(description=f"one of {DECISIONS}")
    final_units: int | None = Field(None, ge=0)
    reviewer: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class TransferDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    option_id: str = Field(max_length=1000, description="as POST /transfer-options gave it")
    decision: str = Field(description="accepted, changed or vetoed (nothing moves)")
    final_units: int | None = Field(None, ge=0, description="the units sent instead (changed)")
    reviewer: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class TransferDecisions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    decisions: list[TransferDecisionIn] = Field(min_length=1, max_length=10_000)


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    entries: list[FeedbackIn] = Field(min_length=1, max_length=100_000)


class ErrorDoc(BaseModel):
    """A refusal: ``detail`` says what was wrong; 422s name the ``field`` too."""

    detail: Any
    field: str | None = None


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of the 4xx answers a route can give."""
    why = {
        400: "malformed body (JSON or npz)",
        401: f"missing {API_KEY_HEADER} header (when the server has a key)",
        403: f"wrong {API_KEY_HEADER}",
        404: "feedback is off (the server was started without a feedback log)",
        413: "body larger than the server's limit",
        422: "a refused value: the field (and row) and what is allowed",
    }
    return {code: {"model": ErrorDoc, "description": why[code]} for code in statuses}


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with its ``$defs`` written in place: an operation's inline
    schema cannot point into ``#/$defs`` of the OpenAPI document."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


async def _json_body(request: Request, model: type[BaseModel] | None = None) -> Any:
    """The body as a JSON object, validated against ``model`` when given. Parsed here
    rather than by the framework: a key given twice is refused (``DuplicateKeyError``,
    a 422 naming it); malformed JSON is a 400; a refused field a 422 as the framework's."""
    try:
        body = read_json_object(await request.body())
    except DuplicateKeyError:
        raise
    except ValueError:
        raise _Refused(400, "malformed JSON body") from None
    if model is None:
        return body
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise RequestValidationError(err.errors(include_url=False)) from None


def _feedback_on(feedback_log: FeedbackLog | None) -> FeedbackLog:
    if feedback_log is None:
        raise _Refused(404, "feedback is off: start with --feedback-log")
    return feedback_log


def _transfers_on(recommender: Recommender) -> None:
    if recommender.transfers is None:
        raise _Refused(404, "this policy plans no transfers")


def _error(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content=_field_error(field, message))


def _field_error(field: str, message: str) -> dict[str, Any]:
    return {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]}


def _json(content: Any) -> bytes:
    """JSON as ``JSONResponse`` writes it."""
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


JSON_TYPE = "application/json"
Answer = tuple[int, bytes, str]  # status, body, media type


class RecommendRoute:
    """``POST /recommend``: the key check and the answer, shared by both front ends."""

    def __init__(self, recommender: Recommender, api_key: str | None, max_body_bytes: int) -> None:
        self.recommender = recommender
        self.policy_name = str(recommender.manifest.get("policy"))
        self.expected_key = api_key.encode() if api_key else None
        self.max_body_bytes = max_body_bytes

    def key_problem(self, given: bytes | None) -> tuple[int, str] | None:
        """None when the key is right (or none is set); else the status and why."""
        if self.expected_key is None:
            return None
        if given is None:
            return 401, f"missing {API_KEY_HEADER} header"
        if not hmac.compare_digest(given, self.expected_key):
            return 403, f"wrong {API_KEY_HEADER}"
        return None

    def answer(self, body: bytes, content_type: str, accept: str, reasons: str) -> Answer:
        """The response to a body (JSON unless ``content_type`` is npz) with ``reasons``.

        Raises nothing but unexpected errors: a bad body is a 4xx answer.
        """
        try:
            if content_type.partition(";")[0].strip().lower() == npz.MEDIA_TYPE:
                state = npz.read_state(body, self.max_body_bytes)
            else:
                state = read_json(body)
        except DuplicateKeyError as err:
            return 422, _json(_field_error(err.key, str(err))), JSON_TYPE
        except StateError as err:
            return 422, _json(_field_error(err.field, str(err))), JSON_TYPE
        except npz.NpzError as err:
            return 400, _json({"detail": f"malformed npz body: {err}"}), JSON_TYPE
        except ValueError:
            return 400, _json({"detail": "malformed JSON body"}), JSON_TYPE
        if not isinstance(state, dict):
            message = "a JSON object with the state's columns"
            return 422, _json(_field_error("", message)), JSON_TYPE
        if "store_ids" in state and self.recommender.transfers is None:
            message = "one store per request: use store_id (store_ids only for transfer policies)"
            return 422, _json(_field_error("store_ids", message)), JSON_TYPE
        try:
            suggestions = self.recommender.recommend(state)
        except StateError as err:
            return 422, _json(_field_error(err.field, str(err))), JSON_TYPE
        if npz.MEDIA_TYPE in accept.lower():
            arrays = {"policy": np.array(self.policy_name), **suggestions.to_arrays(reasons)}
            return 200, npz.write(arrays), npz.MEDIA_TYPE
        return 200, suggestions.to_json(self.policy_name, reasons), JSON_TYPE


class Service:
    """The ASGI app: ``POST /recommend`` straight to ``RecommendRoute``, the rest to FastAPI.

    Refuses bodies over ``max_bytes`` with 413 on every path (declared or streamed).
    """

    def __init__(self, app: FastAPI, route: RecommendRoute, max_bytes: int) -> None:
        self.app = app  # docs, feedback, metadata, health
        self.route = route
        self.max_bytes = max_bytes
        self.limited = BodyLimit(app, max_bytes)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"] == "/recommend" and scope["method"] == "POST":
            return await self.recommend(scope, receive, send)
        return await self.limited(scope, receive, send)

    async def recommend(self, scope: dict, receive: Any, send: Any) -> None:
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of repeated headers, as Starlette
        try:
            answer = await self._answer(scope, receive, headers)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("internal error %s", error_id)
            answer = 500, _json({"detail": "internal error", "error_id": error_id}), JSON_TYPE
        if answer is None:  # the client left
            return
        status, body, media_type = answer
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", media_type.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, scope: dict, receive: Any, headers: dict[bytes, bytes]
    ) -> Answer | None:
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return 413, self._too_big(), JSON_TYPE
        problem = self.route.key_problem(headers.get(API_KEY_HEADER.lower().encode()))
        if problem is not None:
            return problem[0], _json({"detail": problem[1]}), JSON_TYPE
        reasons = "text"
        for name, value in parse_qsl(scope["query_string"].decode("latin-1"), True):
            if name == "reasons":
                reasons = value  # the last one, as FastAPI
        if reasons not in REASONS:  # as FastAPI's validation answers
            message = "Input should be 'text' or 'structured'"
            error = {"loc": ["query", "reasons"], "msg": message, "type": "literal_error"}
            return 422, _json({"detail": [error]}), JSON_TYPE
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return 413, self._too_big(), JSON_TYPE
            more = message.get("more_body", False)
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        accept = headers.get(b"accept", b"").decode("latin-1")
        return self.route.answer(body, content_type, accept, reasons)

    def _too_big(self) -> bytes:
        return _json({"detail": _too_big_message(self.max_bytes)})


def _too_big_message(max_bytes: int) -> str:
    return f"request body over {max_bytes} bytes; send fewer SKUs per call"


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_big = JSONResponse(
            status_code=413, content={"detail": _too_big_message(self.max_bytes)}
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


NPZ_BODY = {
    "schema": {"type": "string", "format": "binary"},
    "description": "np.savez of the same columns: 0-d arrays for store_id, weekday and day, "
    "a unicode array for sku_ids, on_hand_by_age 2-D, numeric arrays for the rest",
}
NPZ_ANSWER = {
    "schema": {"type": "string", "format": "binary"},
    "description": "with Accept: application/x-npz: np.savez of the answer's columns "
    "(unicode arrays for ids, reasons, alerts; reason_terms.<name> per term; rules as "
    "names joined by ',')",
}


def create_app(
    recommender: Recommender,
    *,
    api_key: str | None = None,
    feedback_log: FeedbackLog | None = None,
    max_body_bytes: int = 4_000_000,
    docs: bool = True,
) -> Service:
    """The service over one loaded policy; ``docs=False`` serves no schema and no docs page."""
    manifest = recommender.manifest
    policy_name = str(manifest.get("policy"))
    app = FastAPI(
        title="ShelfLife recommender",
        version=str(manifest.get("format_version")),
        description=f"Daily order suggestions from the exported policy '{policy_name}'.",
        docs_url=None,  # served below, behind the key
        redoc_url=None,
        openapi_url=None,
    )
    route = RecommendRoute(recommender, api_key, max_body_bytes)
    key_header = APIKeyHeader(
        name=API_KEY_HEADER,
        auto_error=False,
        description="the server's API key (every route but /health, when the server has one)",
    )

    def check_key(given: str | None = Security(key_header)) -> None:
        problem = route.key_problem(None if given is None else given.encode("latin-1"))
        if problem is not None:
            raise _Refused(*problem)

    @app.exception_handler(_Refused)
    async def _refused(_: Request, err: _Refused) -> JSONResponse:
        return JSONResponse(status_code=err.status, content={"detail": err.message})

    @app.exception_handler(DuplicateKeyError)
    async def _duplicate_key(_: Request, err: DuplicateKeyError) -> JSONResponse:
        return _error(422, err.key, str(err))

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

    @app.get("/review", include_in_schema=False)
    def review() -> HTMLResponse:
        """The store manager's page (``policies.serving.review_page``): no data in it;
        everything it shows and sends goes through the keyed routes."""
        headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"}
        return HTMLResponse(REVIEW_PAGE, headers=headers)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "policy": policy_name}

    @app.get("/metadata", dependencies=[Depends(check_key)], responses=_errors(401, 403))
    def metadata() -> dict[str, Any]:
        return recommender.metadata()

    if docs:

        @app.get("/openapi.json", dependencies=[Depends(check_key)], include_in_schema=False)
        def openapi() -> JSONResponse:
            return JSONResponse(app.openapi())

        @app.get("/docs", dependencies=[Depends(check_key)], include_in_schema=False)
        def swagger() -> HTMLResponse:
            return HTMLResponse(docs_page(app.openapi()))

    @app.post(
        "/recommend",
        dependencies=[Depends(check_key)],
        response_model=SuggestionsDoc,
        description="One store's state in, one suggestion per SKU out (in the request's "
        "order). The body is JSON (below) or, with Content-Type: application/x-npz, an "
        ".npz of the same columns; Accept: application/x-npz answers an .npz. Both are "
        "validated the same way: 422 names the refused field and row.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": StoreStateDoc.model_json_schema()},
                    npz.MEDIA_TYPE: NPZ_BODY,
                },
            }
        },
        responses={
            200: {"content": {npz.MEDIA_TYPE: NPZ_ANSWER}},
            **_errors(400, 401, 403, 413, 422),
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
        status, body, media_type = route.answer(
            await request.body(),
            request.headers.get("content-type", ""),
            request.headers.get("accept", ""),
            reasons,
        )
        return Response(content=body, status_code=status, media_type=media_type)

    @app.post(
        "/feedback",
        dependencies=[Depends(check_key)],
        responses=_errors(400, 401, 403, 404, 413, 422),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _inline(FeedbackBatch)}},
            }
        },
    )
    async def feedback(request: Request) -> dict[str, Any]:
        log = _feedback_on(feedback_log)
        batch = await _json_body(request, FeedbackBatch)
        catalog = recommender.catalog
        for i, e in enumerate(batch.entries):
            if e.store_id not in catalog.store_index:
                raise StateError(f"entries[{i}].store_id", e.store_id, "a store of the catalog")
            if e.sku_id not in catalog.sku_index:
                raise StateError(f"entries[{i}].sku_id", e.sku_id, "a SKU of the catalog")
        stored = log.record([Feedback(**e.model_dump()) for e in batch.entries])
        return {"recorded": stored, **log.summary()}

    signer = OptionSigner.for_policy(recommender.manifest_digest, api_key)

    @app.post(
        "/transfer-options",
        dependencies=[Depends(check_key)],
        responses=_errors(400, 401, 403, 404, 413, 422),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _inline(StoreStateDoc)}},
            }
        },
    )
    async def options(request: Request) -> dict[str, Any]:
        """The transfer alerts of a state of several stores, each with up to three
        options for the store manager; nothing is sent until a decision."""
        _transfers_on(recommender)
        body = await _json_body(request)
        return {"alerts": recommender.transfer_options(body, signer=signer)}

    @app.post(
        "/transfer-decision",
        dependencies=[Depends(check_key)],
        responses=_errors(400, 401, 403, 404, 413, 422),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _inline(TransferDecisions)}},
            }
        },
    )
    async def transfer_decision(request: Request) -> dict[str, Any]:
        """The manager's decisions on options (accepted, changed, vetoed), recorded in the
        feedback log; an option id this server did not issue is refused (422, all or none)."""
        _transfers_on(recommender)
        log = _feedback_on(feedback_log)
        batch = await _json_body(request, TransferDecisions)
        entries = []
        for i, d in enumerate(batch.decisions):
            try:
                entries.append(recommender.decide_transfer(d.model_dump(), signer=signer))
            except StateError as err:
                raise StateError(f"decisions[{i}].{err.field}", err.value, err.allowed) from None
        stored = log.record(entries)
        return {"recorded": stored, **log.summary()}

    @app.get(
        "/feedback/summary", dependencies=[Depends(check_key)], responses=_errors(401, 403, 404)
    )
    def feedback_summary() -> dict[str, Any]:
        if feedback_log is None:
            return JSONResponse(status_code=404, content={"detail": "feedback is off"})
        return feedback_log.summary()

    return Service(app, route, max_body_bytes)


class _Refused(Exception):
    """A request refused with ``status`` and ``{"detail": message}`` (a missing or wrong
    key, a malformed body, a route that is off)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message


def docs_page(schema: dict[str, Any]) -> str:
    """Swagger UI as one page: its CSS and JS from ``swagger-ui-bundle`` and the schema
    inline, so the page needs no further request (each would need the key) and no network."""
    from swagger_ui_bundle import swagger_ui_path

    folder = Path(swagger_ui_path)
    css = (folder / "swagger-ui.css").read_text(encoding="utf-8")
    js = (folder / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    spec = json.dumps(schema).replace("</", "<\\/")  # no "</script>" inside the script
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(schema['info']['title'])}</title><style>{css}</style></head>"
        f"<body><div id='swagger-ui'></div><script>{js}</script><script>"
        f"SwaggerUIBundle({{spec: {spec}, dom_id: '#swagger-ui'}});</script></body></html>"
    )


def app_from_env() -> Any:
    """App factory for ``uvicorn --factory`` (several worker processes).

    Reads ``SHELFLIFE_POLICY`` (folder), ``SHELFLIFE_API_KEY_ENV`` (name of the
    variable holding the key, optional), ``SHELFLIFE_FEEDBACK_LOG`` (optional)
    ``SHELFLIFE_MAX_BODY_BYTES`` (optional) and ``SHELFLIFE_DOCS`` (``0``: no docs).
    """
    import os

    recommender = Recommender.load(os.environ["SHELFLIFE_POLICY"])
    key_env = os.environ.get("SHELFLIFE_API_KEY_ENV")
    api_key = os.environ.get(key_env) if key_env else None
    if key_env and not api_key:
        raise SystemExit(f"--api-key-env {key_env}: the variable is not set or empty")
    log_path = os.environ.get("SHELFLIFE_FEEDBACK_LOG")
    feedback = FeedbackLog(log_path, recommender.manifest_digest) if log_path else None
    app = create_app(
        recommender,
        api_key=api_key,
        feedback_log=feedback,
        max_body_bytes=int(os.environ.get("SHELFLIFE_MAX_BODY_BYTES", "4000000")),
        docs=os.environ.get("SHELFLIFE_DOCS", "1") != "0",
    )
    # The startup's objects (framework, schemas, catalog ids) live as long as the
    # process: out of the collector's way, a full collection costs ~0.1 ms instead of ~20 ms.
    gc.collect()
    gc.freeze()
    return app
