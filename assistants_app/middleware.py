from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .models import Installation
from .roles import USE_DASHBOARD

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


class RoleRequiredMiddleware:
    """Dashboard pages need the Members role (Administrators hold it too): an account that has
    neither role, for example one made in the admin without a group, gets 403 everywhere.

    Like LoginRequiredMiddleware it covers every view of the dashboard, new pages included;
    views marked login_not_required (first-run setup, health check) or role_not_required (one's
    own password) stay open, and the admin and the /v1 engine have their own checks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if not view_func.__module__.startswith("assistants_app."):
            return
        if not getattr(view_func, "login_required", True) or not request.user.is_authenticated:
            return
        if not getattr(view_func, "role_required", True):
            return
        if not request.user.has_perm(USE_DASHBOARD):
            raise PermissionDenied("This account has no role in Assistant Studio.")
