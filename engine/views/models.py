"""/v1/models: the models the configured providers offer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..api import endpoint, not_found, ok
from ..providers import all_models
from ..providers.base import ModelInfo


def _model(info: ModelInfo) -> dict:
    return {"id": info.id, "object": "model", "created": info.created, "owned_by": info.owned_by}


@endpoint("GET")
def models(request: HttpRequest) -> HttpResponse:
    return ok({"object": "list", "data": [_model(info) for info in all_models()]})


@endpoint("GET")
def model(request: HttpRequest, model_id: str) -> HttpResponse:
    for info in all_models():
        if info.id == model_id:
            return ok(_model(info))
    raise not_found("model", model_id)
