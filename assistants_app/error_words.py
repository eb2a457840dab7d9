"""What a person reads when the assistant service fails: one sentence per kind of error.

The client's exceptions carry data (status, code, param, the API's message, request id); the
words are chosen here, once, for every page and form that shows a backend error.
"""

from __future__ import annotations

from .services import errors
from .services.errors import APIStatusError, APIStreamError, AssistantsError

# The nearest class in an error's MRO picks the sentence; "{said}" stands for the API's reason.
SENTENCES: dict[type[AssistantsError], str] = {
    errors.AssistantsError: (
        "Something went wrong talking to the assistant service; please try again."
    ),
    errors.InvalidRequestError: (
        "Some values are not valid; correct the highlighted fields and try again."
    ),
    errors.APIConnectionError: (
        "The assistant service could not be reached; check that it is running and that the "
        "connection's address is right."
    ),
    errors.APITimeoutError: (
        "The assistant service took too long to answer; please try again in a moment."
    ),
    errors.PollTimeoutError: (
        "The assistant is taking longer than expected; the answer will appear when it is ready."
    ),
    errors.APIResponseValidationError: (
        "The assistant service answered with something this dashboard does not understand; "
        "check that the connection points at an Assistants API."
    ),
    errors.APIStreamError: "The assistant stopped with an error while answering; please try again.",
    errors.APIStatusError: "The assistant service refused the request: {said}",
    errors.BadRequestError: "The assistant service did not accept the request: {said}",
    errors.AuthenticationError: (
        "The backend rejected the API key; ask an administrator to check the connection."
    ),
    errors.PermissionDeniedError: (
        "The connection's API key may not do this; ask an administrator to check its permissions."
    ),
    errors.NotFoundError: (
        "That item no longer exists on the assistant service; it may have been deleted."
    ),
    errors.ConflictError: "Something changed at the same moment; reload the page and try again.",
    errors.UnprocessableEntityError: "The assistant service could not process the request: {said}",
    errors.RateLimitError: (
        "The assistant service is busy or over its usage limit; wait a minute and retry."
    ),
    errors.InternalServerError: (
        "The assistant service had an internal problem; try again in a moment, and tell an "
        "administrator if it keeps happening."
    ),
}


def in_words(error: AssistantsError) -> str:
    """A sentence a person can act on, plus the service's own reason when it gave one that the
    sentence does not already hold. Our own diagnostics (a connection error's text, a
    validation report) are for logs, not for the page."""
    template = next(SENTENCES[cls] for cls in type(error).__mro__ if cls in SENTENCES)
    said = error.message if isinstance(error, APIStatusError | APIStreamError) else ""
    if "{said}" in template:
        return template.format(said=_sentence(said))
    return f"{template} (The service said: {said})" if said and said not in template else template


def _sentence(text: str) -> str:
    text = (text or "no reason given").strip()
    return text if text.endswith((".", "!", "?")) else text + "."
