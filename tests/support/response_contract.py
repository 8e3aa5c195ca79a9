"""Every response the in-process test client receives, checked against the OpenAPI document, strictly.

What a client team's generated code would trip on: a status the operation does not list, a body that does not match
its schema, a field sent but not declared (response schemas are closed: ``additionalProperties: false``). openapi-core
does the checking, as a client's own validator would; the document is built once per process.

Responses to paths or methods the document does not describe (a probe for an unknown route, a method a path does not
serve) are not checked here: the routing tests own them.
"""

from __future__ import annotations

import contextlib
import json
from functools import cache
from typing import Any

from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

SERVER = "http://127.0.0.1:8000"


@cache
def _openapi() -> OpenAPI:
    from openapi_core import Config
    from openapi_core.deserializing.media_types.util import plain_loads

    from chalicelib.core.http.openapi import build_document

    # The document's own validity is checked once by the OpenAPI tests; here only responses are. CSV is text (as
    # openapi-core already reads text/html and text/plain), not the bytes it gives a media type it does not know.
    return OpenAPI.from_dict(build_document(), config=Config(
        spec_validator_cls=None, extra_media_type_deserializers={"text/csv": plain_loads}))


def mismatch(method: str, path: str, status: int, body: bytes, headers: dict[str, Any]) -> str | None:
    """Why the response does not match the document (None when it does, or when the route is not documented)."""
    route = path.partition("?")[0]
    if status == 405:
        # No operation answered: Chalice refused the method for the concrete path (``/follow-ups/bulk-resolve`` is
        # POST only, though GET ``/follow-ups/{case_id}`` would match its text as a template).
        return None
    request = MockRequest(SERVER, method.lower(), route, args=None)
    content_type = str({k.lower(): v for k, v in headers.items()}.get("content-type", "application/json"))
    response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
    try:
        _openapi().validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        return None
    except Exception as err:  # openapi-core's validation errors: the cause says which field
        cause = err.__cause__ or err
        detail = "; ".join(str(e.message) for e in getattr(cause, "schema_errors", ())) or str(cause)
        return f"{method.upper()} {route} answered {status} off contract: {detail}: {_short(body)}"
    return None


def _short(body: bytes) -> str:
    text = body.decode(errors="replace")
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text if len(text) < 600 else text[:600] + "..."
