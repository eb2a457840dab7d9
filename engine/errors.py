"""The API's error envelope, shared by the /v1 plumbing (api.py) and what it calls on the way
to a view (ratelimit.py), so neither imports the other to build one."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


class ApiError(Exception):
    """An error answered in the API's envelope: {"error": {message, type, param, code}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = (
            status,
            message,
            param,
            code,
            type,
        )

    def payload(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JsonResponse:
        response = JsonResponse(self.payload(), status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Assistant Studio engine"'
        return response
