from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .models import Installation

# Paths that must work before the first account exists.
_OPEN_PREFIXES = ("/static/", "/healthz", "/v1/", "/setup/")


class FirstRunMiddleware:
    """While no user exists, every page leads to "Create the administrator account".

    An authenticated request skips the check (a user exists); anonymous requests pay one
    EXISTS query, which is cheaper than caching a flag that would go stale on a reset.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not request.user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and Installation.needs_setup()
        ):
            return redirect(reverse("setup"))
        return self.get_response(request)
