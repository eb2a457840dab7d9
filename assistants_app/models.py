from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, models, transaction


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
