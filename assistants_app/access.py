"""Who may use the dashboard: an account with the Members role (Administrators hold it too).

The check is applied where the dashboard's URLs are mounted (dashboard/urls.py wraps every
pattern of assistants_app.urls with `members_only`), so a view gets it by being routed there,
whatever module it lives in. Views marked login_not_required (first-run setup, the health
check) or role_not_required (one's own password) stay open; the admin and the /v1 engine have
checks of their own. tests/team/test_roles.py fails if a dashboard URL is left without it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

from .roles import USE_DASHBOARD

View = Callable[..., HttpResponse]


def role_required(view: View) -> View:
    """Refuse (403) a signed-in account that has no role in Assistant Studio."""
    if getattr(view, "role_checked", False):
        return view

    @wraps(view)  # keeps login_not_required, csrf_exempt and role_not_required marks
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            getattr(view, "login_required", True)
            and getattr(view, "role_required", True)
            and request.user.is_authenticated
            and not request.user.has_perm(USE_DASHBOARD)
        ):
            raise PermissionDenied("This account has no role in Assistant Studio.")
        return view(request, *args, **kwargs)

    checked.role_checked = True
    return checked


def members_only(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Put the role check on every view of these URL patterns (and of those they include)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            members_only(entry.url_patterns)
        else:
            entry.callback = role_required(entry.callback)
    return patterns
