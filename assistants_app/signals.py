"""Receivers: sign-ins go to the audit trail; the two roles are kept in step after migrate."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The address django-axes resolved (it honours AXES_PROXY_COUNT), else the peer's."""
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def audit_signed_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    AuditEvent.record(
        AuditEvent.Action.SIGNED_IN,
        actor=user,
        object_type=AuditEvent.PERSON,
        object_id=user.pk,
        label=user.get_username(),
        ip_address=client_ip(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def audit_sign_in_failed(
    sender, credentials: dict, request: HttpRequest | None = None, **kwargs
) -> None:
    # Only the username is kept: Django has already replaced the password with stars.
    username = str(credentials.get(get_user_model().USERNAME_FIELD, ""))[:150]
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    AuditEvent.record(
        AuditEvent.Action.SIGN_IN_FAILED,
        actor=user,
        actor_name=username,
        object_type=AuditEvent.PERSON,
        object_id=user.pk if user else "",
        label=username,
        ip_address=client_ip(request),
    )
