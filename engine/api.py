"""HTTP plumbing shared by the /v1 views: the error envelope, authentication, JSON bodies
validated by pydantic, and cursor pagination. Every /v1 response is JSON (or SSE), never an
HTML page, and carries `x-request-id`."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from . import auth, ratelimit
from .errors import ApiError

logger = logging.getLogger(__name__)

Schema = TypeVar("Schema", bound=BaseModel)
View = Callable[..., HttpResponse]


def not_found(kind: str, object_id: str) -> ApiError:
    return ApiError(404, f"No {kind} found with id '{object_id}'.")


M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], kind: str, object_id: str, field: str = "pk") -> M:
    """The object whose `field` is `object_id`, or the API's 404 naming its kind."""
    found = first(queryset.filter(**{field: object_id}))
    if found is None:
        raise not_found(kind, object_id)
    return found


def first(queryset: QuerySet[M]) -> M | None:
    """The first row of a query that matches one row at most: no ORDER BY to compile or run."""
    return next(iter(queryset.order_by()[:1]), None)


SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"


def server_error() -> ApiError:
    return ApiError(500, SERVER_ERROR_MESSAGE, type="server_error")


BUSY_RETRY_AFTER = 1  # seconds a client is asked to wait when the database is busy


def _busy(error: OperationalError) -> bool:
    # SQLite: another connection held the write lock past the busy timeout; PostgreSQL: a
    # lock wait or deadlock. Both pass: the request can simply be sent again.
    text = str(error).lower()
    return any(word in text for word in ("locked", "busy", "deadlock", "lock timeout"))


def busy() -> JsonResponse:
    """503 with Retry-After: the SDK (and the dashboard's client) retry it by themselves."""
    response = ApiError(
        503,
        "The engine's database is busy with other requests. Please retry your request in a moment.",
        type="server_error",
        code="database_busy",
    ).response()
    response["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response


def endpoint(*methods: str) -> Callable[[View], View]:
    """A /v1 view: key-authenticated (no session, no CSRF), one JSON error envelope for
    every failure, 405 for other methods, and an `x-request-id` on every response."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                auth.authenticate(request)
                if request.method not in methods:
                    raise ApiError(
                        405,
                        f"Method {request.method} is not allowed on {request.path}; "
                        f"allowed: {', '.join(methods)}.",
                        code="method_not_allowed",
                    )
                response = ratelimit.refused(request) or view(request, *args, **kwargs)
            except auth.AuthError as error:
                response = ApiError(401, str(error), code=error.code).response()
            except ApiError as error:
                response = error.response()
            except OperationalError as error:
                if not _busy(error):
                    logger.exception("Database error in %s %s", request.method, request.path)
                    response = server_error().response()
                else:
                    logger.warning(
                        "Database busy in %s %s: %s", request.method, request.path, error
                    )
                    response = busy()
            except Exception:
                logger.exception("Unhandled error in %s %s", request.method, request.path)
                response = server_error().response()
            if response.status_code == 405:
                response["Allow"] = ", ".join(methods)
            response["x-request-id"] = request_id()
            return response

        return csrf_exempt(login_not_required(wrapper))

    return decorate


def request_id() -> str:
    return "req_" + uuid.uuid4().hex


@csrf_exempt
@login_not_required
def unknown_url(request: HttpRequest, path: str = "") -> HttpResponse:
    response = ApiError(404, f"Invalid URL ({request.method} {request.path})").response()
    response["x-request-id"] = request_id()
    return response


# ---------------------------------------------------------------------------------------------
# Bodies

# Objects and arrays one body may nest: deeper data (a JSON Schema a thousand levels deep)
# would exhaust the recursion of every validator that walks it.
MAX_BODY_DEPTH = 64
_TOO_DEEP = object()


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether `data` nests objects/arrays more than `limit` levels (no recursion here)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def body(request: HttpRequest, schema: type[Schema]) -> Schema:
    """The request's JSON body validated by `schema`; an empty body is an empty object."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(
            413,
            "The request body is too large (DATA_UPLOAD_MAX_MEMORY_SIZE).",
            code="request_too_large",
        ) from None
    if raw.strip():
        content_type = request.content_type or ""
        if content_type != "application/json":
            raise ApiError(
                415,
                f"Unsupported content type: '{content_type}'. This API method only accepts "
                "'application/json' requests, but you specified the header "
                f"'Content-Type: {content_type}'. Please try again with a supported content type.",
                code="unsupported_content_type",
            )
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. The engine expects a JSON "
                "payload, but what was sent was not valid JSON.",
                code="invalid_json",
            ) from None
        except RecursionError:
            data = _TOO_DEEP  # deeper than Python's parser goes: refused just below
        if data is _TOO_DEEP or _deeper_than(data, MAX_BODY_DEPTH):
            raise ApiError(
                400,
                "The JSON body of your request is nested too deeply: the engine accepts "
                f"objects and arrays nested at most {MAX_BODY_DEPTH} levels deep.",
                code="invalid_json",
            )
        if not isinstance(data, dict):
            raise ApiError(
                400, "The request body must be a JSON object.", code="invalid_type"
            ) from None
    else:
        data = {}
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise validation_error(error, data) from None


def _param(loc: Iterable[Any], data: Any, kind: str) -> str:
    """The API's name for an error location ("tools[0].function.name"), skipping the
    union-branch tags pydantic inserts ("str", "function", "list[…]")."""
    parts: list[str] = []
    current = data
    items = list(loc)
    for position, key in enumerate(items):
        # Only a missing or unknown field may be absent from the data: other absent keys
        # are union tags.
        last = position == len(items) - 1 and kind in ("missing", "extra_forbidden")
        if isinstance(key, int) and isinstance(current, list):
            parts.append(f"[{key}]")
            current = current[key] if key < len(current) else None
        elif isinstance(key, str) and isinstance(current, dict) and (key in current or last):
            parts.append(("." if parts else "") + key)
            current = current.get(key)
        elif isinstance(key, str) and current is None and last and not parts:
            parts.append(key)
    return "".join(parts) or "body"


_CODES = {
    "missing": "missing_required_parameter",
    "extra_forbidden": "unknown_parameter",
    "string_too_long": "string_above_max_length",
    "string_too_short": "string_below_min_length",
    "too_long": "array_above_max_length",
    "too_short": "array_below_min_length",
    "greater_than_equal": "decimal_below_min_value",
    "less_than_equal": "decimal_above_max_value",
    "string_pattern_mismatch": "invalid_value",
    "literal_error": "invalid_value",
    "value_error": "invalid_value",
}


def validation_error(error: ValidationError, data: Any) -> ApiError:
    # With unions, pydantic reports every branch: the deepest location is the useful one.
    located = [(_param(e["loc"], data, e["type"]), e) for e in error.errors(include_url=False)]
    param, first = max(located, key=lambda pair: len(pair[0]))
    kind = first["type"]
    if kind == "missing":
        message = f"Missing required parameter: '{param}'."
    elif kind == "extra_forbidden":
        message = f"Unrecognized request argument supplied: {param}"
    elif kind == "too_long" and isinstance(first.get("input"), list):
        limit, given = (first.get("ctx") or {}).get("max_length"), len(first["input"])
        message = (
            f"Invalid '{param}': array too long. Expected an array with maximum length "
            f"{limit}, but got an array with length {given} instead."
        )
    elif kind == "string_too_long" and isinstance(first.get("input"), str):
        limit, given = (first.get("ctx") or {}).get("max_length"), len(first["input"])
        message = (
            f"Invalid '{param}': string too long. Expected a string with maximum length "
            f"{limit}, but got a string with length {given} instead."
        )
    else:
        detail = first["msg"].removeprefix("Value error, ")
        message = f"Invalid '{param}': {detail[:1].lower()}{detail[1:]}".rstrip(".") + "."
    return ApiError(400, message, param=param, code=_CODES.get(kind, "invalid_type"))


def ok(payload: dict[str, Any], **headers: str) -> JsonResponse:
    response = JsonResponse(payload)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def shown_or_deleted(request: HttpRequest, found: Any, deleted: str) -> JsonResponse:
    """GET: `found` as the API shows it; DELETE: deleted, and said so with the object type
    `deleted` (e.g. "thread.deleted")."""
    if request.method == "DELETE":
        object_id = found.pk
        found.delete()
        return ok({"id": object_id, "object": deleted, "deleted": True})
    return ok(found.to_api())


# ---------------------------------------------------------------------------------------------
# Lists


def _list_params(request: HttpRequest) -> tuple[int, str, str | None, str | None]:
    raw_limit = request.GET.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise ApiError(
            400,
            f"Invalid 'limit': expected an integer, but got '{raw_limit}' instead.",
            param="limit",
            code="invalid_type",
        ) from None
    if not 1 <= limit <= 100:
        raise ApiError(
            400,
            f"Invalid 'limit': expected a value between 1 and 100, but got {limit} instead.",
            param="limit",
            code="integer_out_of_range",
        )
    order = request.GET.get("order", "desc")
    if order not in ("asc", "desc"):
        raise ApiError(
            400,
            f"Invalid 'order': expected one of 'asc' or 'desc', but got '{order}' instead.",
            param="order",
            code="invalid_value",
        )
    return limit, order, request.GET.get("after") or None, request.GET.get("before") or None


def _beyond(queryset: QuerySet, cursor_id: str, param: str, *, later: bool) -> Q:
    """Objects strictly later (or earlier) than the cursor in (created_at, id) order."""
    cursor = queryset.filter(pk=cursor_id).values("created_at", "pk").first()
    if cursor is None:
        raise ApiError(
            400,
            f"Invalid '{param}': no object with id '{cursor_id}' in this list.",
            param=param,
            code="invalid_value",
        )
    at, pk = cursor["created_at"], cursor["pk"]
    if later:
        return Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk)
    return Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk)


def paginate(
    request: HttpRequest,
    queryset: QuerySet,
    serialize: Callable[[Any], dict[str, Any]] = lambda row: row.to_api(),
) -> JsonResponse:
    """The API's list envelope; `after` pages on in list order, `before` pages back to the
    items just before the cursor."""
    limit, order, after, before = _list_params(request)
    ascending = order == "asc"
    forward = ["created_at", "pk"] if ascending else ["-created_at", "-pk"]
    backward = ["-created_at", "-pk"] if ascending else ["created_at", "pk"]
    filtered = queryset
    if after:
        filtered = filtered.filter(_beyond(queryset, after, "after", later=ascending))
    if before:
        filtered = filtered.filter(_beyond(queryset, before, "before", later=not ascending))
    if before and not after:
        rows: list[Model] = list(filtered.order_by(*backward)[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit][::-1]
    else:
        rows = list(filtered.order_by(*forward)[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
    data = [serialize(row) for row in rows]
    return JsonResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )
