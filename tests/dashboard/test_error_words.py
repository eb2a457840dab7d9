"""in_words: the one place a backend error becomes what a person reads."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from assistants_app.error_words import SENTENCES, in_words
from assistants_app.services import errors
from assistants_app.services.errors import (
    APIConnectionError,
    AssistantsError,
    BadRequestError,
    InvalidRequestError,
    NotFoundError,
    status_error,
)


def answer(status: int, message: str) -> APIConnectionError:
    request = httpx.Request("GET", "https://api.test/v1/assistants/a")
    return status_error(
        httpx.Response(status, json={"error": {"message": message}}, request=request)
    )


def test_every_error_the_client_raises_has_its_own_words():
    classes = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, AssistantsError)
    }
    assert len(classes) == 17
    # APIError is only a base: what reaches a page is one of its subclasses.
    assert classes - set(SENTENCES) == {errors.APIError}


def test_our_own_diagnostics_are_not_shown_as_the_services_words():
    error = APIConnectionError("Connection error: ConnectError: [Errno 111] Connection refused")
    assert in_words(error) == SENTENCES[APIConnectionError]


def test_a_refusal_is_quoted_once_in_the_sentence():
    error = answer(400, "Invalid 'name': too long")
    assert isinstance(error, BadRequestError)
    assert in_words(error) == (
        "The assistant service did not accept the request: Invalid 'name': too long."
    )


def test_a_fixed_sentence_adds_what_the_service_said():
    error = answer(404, "No assistant found with id 'a'.")
    assert isinstance(error, NotFoundError)
    assert in_words(error) == (
        "That item no longer exists on the assistant service; it may have been deleted. "
        "(The service said: No assistant found with id 'a'.)"
    )


def test_a_value_refused_before_sending_points_at_the_fields():
    class Params(BaseModel):
        name: int

    with pytest.raises(ValidationError) as caught:
        Params(name="x")
    error = InvalidRequestError(caught.value, model="Params")
    assert in_words(error) == (
        "Some values are not valid; correct the highlighted fields and try again."
    )
