"""People (administrators): add someone, change their role, deactivate them, and give them a
one-time link to set their password. Everyone else gets 403 from these pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..audit import team_change
from ..models import AuditEvent
from ..roles import MANAGE_PEOPLE, role_not_required, role_of, set_role
from ..team_forms import PersonForm, RoleForm

Action = AuditEvent.Action
admins_only = permission_required(MANAGE_PEOPLE, raise_exception=True)
PERSON = AuditEvent.PERSON


@require_GET
@admins_only
def people_list(request: HttpRequest) -> HttpResponse:
    people = get_user_model().objects.order_by("username").prefetch_related("groups")
    rows = [(person, role_of(person)) for person in people]
    return render(request, "people/list.html", {"nav": "team", "rows": rows})


@require_http_methods(["GET", "POST"])
@admins_only
def person_add(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = get_user_model().objects.create_user(
            data["username"], data["email"], data["password"] if data["how"] == "password" else None
        )
        set_role(person, data["role"])
        team_change(
            request,
            Action.PERSON_ADDED,
            PERSON,
            person.pk,
            person.get_username(),
            details={"role": data["role"]},
        )
        if data["how"] == "link":
            # The link is a credential: shown once, in this response, never stored or redirected.
            context = {
                "nav": "team",
                "person": person,
                "link": _set_password_link(request, person),
            }
            return render(request, "people/link.html", context, status=201)
        messages.success(
            request, f"Added {person.username}. Give them the temporary password you chose."
        )
        return redirect("person_detail", person.pk)
    status = 422 if form.is_bound else 200
    return render(request, "people/add.html", {"nav": "team", "form": form}, status=status)


@require_GET
@admins_only
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    return render(request, "people/detail.html", _detail_context(request, person))


@require_POST
@admins_only
def person_role(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=pk)
    form = RoleForm(request.POST)
    if person == request.user:
        return _refuse(
            request, person, "You cannot change your own role; ask another administrator."
        )
    if not form.is_valid():
        return _refuse(request, person, "Choose a role: member or administrator.")
    before, after = role_of(person), form.cleaned_data["role"]
    if before != after:
        set_role(person, after)
        team_change(
            request,
            Action.ROLE_CHANGED,
            PERSON,
            person.pk,
            person.get_username(),
            changes={"role": [before, after]},
        )
        title = "an administrator" if after == "administrator" else "a member"
        messages.success(request, f"{person.username} is now {title}.")
    return redirect("person_detail", person.pk)


@require_POST
@admins_only
def person_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (they are signed out at once and cannot sign in) or reactivate someone."""
    person = get_object_or_404(get_user_model(), pk=pk)
    active = request.POST.get("active") == "true"
    if person == request.user:
        return _refuse(request, person, "You cannot deactivate your own account.")
    if person.is_active != active:
        person.is_active = active
        person.save(update_fields=["is_active"])
        team_change(
            request,
            Action.PERSON_REACTIVATED if active else Action.PERSON_DEACTIVATED,
            PERSON,
            person.pk,
            person.get_username(),
        )
        messages.success(
            request,
            f"{person.username} can sign in again."
            if active
            else f"{person.username} is deactivated: signed out, and cannot sign in.",
        )
    return redirect("person_detail", person.pk)


@require_POST
@admins_only
def person_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time set-password link (for a forgotten password); the old one stops working
    as soon as the password is set."""
    person = get_object_or_404(get_user_model(), pk=pk)
    if not person.is_active:
        return _refuse(request, person, "Reactivate this account first.")
    team_change(request, Action.SET_PASSWORD_LINK_ISSUED, PERSON, person.pk, person.get_username())
    context = {"nav": "team", "person": person, "link": _set_password_link(request, person)}
    return render(request, "people/link.html", context)


@role_not_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Anyone signed in changes their own password (a temporary one, say)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)  # stay signed in here
        messages.success(request, "Your password is changed.")
        return redirect("settings")
    status = 422 if form.is_bound else 200
    return render(
        request, "people/password_change.html", {"nav": "settings", "form": form}, status=status
    )


def _set_password_link(request: HttpRequest, person) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    return request.build_absolute_uri(reverse("set_password", args=[uid, token]))


def _detail_context(request: HttpRequest, person, **extra: Any) -> dict[str, Any]:
    events = AuditEvent.objects.filter(actor=person).select_related("actor")[:20]
    return {
        "nav": "team",
        "person": person,
        "role": role_of(person),
        "role_form": RoleForm(initial={"role": role_of(person) or "member"}),
        "is_self": person == request.user,
        "events": events,
        **extra,
    }


def _refuse(request: HttpRequest, person, reason: str) -> HttpResponse:
    context = _detail_context(request, person, error=reason)
    return render(request, "people/detail.html", context, status=422)
