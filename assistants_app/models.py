from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from .crypto import EncryptedTextField, mask


class Installation(models.Model):
    """One row, written when the first administrator account is created.

    Its fixed primary key is the lock that makes first-run setup happen once even when two
    people submit the form at the same moment: the second insert fails on the unique key.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "installation"

    def __str__(self) -> str:
        return f"Installed {self.created_at:%Y-%m-%d %H:%M}"

    @classmethod
    def needs_setup(cls) -> bool:
        from django.contrib.auth import get_user_model

        return not get_user_model().objects.exists()

    @classmethod
    def create_administrator(cls, *, username: str, email: str, password: str):
        """Create the first superuser, or return None if another request got there first."""
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            with transaction.atomic():
                if User.objects.exists():
                    return None
                claim = cls.objects.create(id=cls.SINGLETON_ID)
                user = User.objects.create_superuser(username, email, password)
                claim.created_by = user
                claim.save(update_fields=["created_by"])
        except IntegrityError:
            return None
        return user


class ConnectionQuerySet(models.QuerySet):
    def default(self) -> Connection:
        """The default connection; the built-in engine unless an administrator chose another."""
        connection = self.filter(is_default=True).first()
        if connection is None:
            connection, _ = self.get_or_create(
                kind=Connection.Kind.BUILTIN,
                defaults={"name": "Built-in engine", "is_default": True},
            )
        return connection


class Connection(models.Model):
    """A backend that speaks the Assistants API v2: the built-in engine or another server."""

    class Kind(models.TextChoices):
        BUILTIN = "builtin", "Built-in engine"
        OPENAI = "openai", "Assistants API (OpenAI-compatible)"
        AZURE = "azure", "Azure OpenAI (api-key header, api-version)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OPENAI)
    base_url = models.URLField(
        blank=True,
        help_text="For example https://api.example.com/v1. Empty for the built-in engine.",
    )
    api_key = EncryptedTextField(blank=True, help_text="Stored encrypted; never shown again.")
    organization = models.CharField(max_length=100, blank=True)
    project = models.CharField(max_length=100, blank=True)
    api_version = models.CharField(
        max_length=40, blank=True, help_text="Azure only: the api-version query parameter."
    )
    default_model = models.CharField(max_length=100, blank=True)
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_connection"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.kind == self.Kind.BUILTIN

    @property
    def masked_api_key(self) -> str:
        return mask(self.api_key or "")

    def make_default(self) -> None:
        with transaction.atomic():
            Connection.objects.filter(is_default=True).exclude(pk=self.pk).update(is_default=False)
            self.is_default = True
            self.save(update_fields=["is_default", "updated_at"])
