import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection

from assistants_app.models import Connection
from dashboard import crypto
from engine.models import ModelProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_fernet():
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def _raw_key(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM assistants_app_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _raw_provider_key(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM engine_modelprovider WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_migration_creates_the_builtin_connection_as_default():
    # Transactional tests flush migration data, so run the data migration's function here.
    migration = importlib.import_module("assistants_app.migrations.0003_builtin_connection")
    Connection.objects.all().delete()
    migration.create_builtin(apps, None)
    migration.create_builtin(apps, None)  # idempotent
    builtin = Connection.objects.get(kind=Connection.Kind.BUILTIN)
    assert builtin.is_default
    assert Connection.objects.default() == builtin


def test_default_recreates_builtin_when_none_exists():
    Connection.objects.all().delete()
    assert Connection.objects.default().is_builtin


def test_api_key_is_encrypted_at_rest_and_masked():
    conn = Connection.objects.create(
        name="Other", base_url="https://example.test/v1", api_key="sk-secret-abcd"
    )
    raw = _raw_key(conn.pk)
    assert "sk-secret" not in raw
    assert Connection.objects.get(pk=conn.pk).api_key == "sk-secret-abcd"
    assert conn.masked_api_key == "…abcd"


def test_only_one_default():
    Connection.objects.default()
    with pytest.raises(IntegrityError):
        Connection.objects.create(name="Second", base_url="https://x.test/v1", is_default=True)


def test_make_default_moves_the_flag():
    other = Connection.objects.create(name="Other", base_url="https://x.test/v1")
    other.make_default()
    assert list(Connection.objects.filter(is_default=True)) == [other]


def test_rotation_re_encrypts_with_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    conn = Connection.objects.create(name="Other", base_url="https://x.test/v1", api_key="sk-1234")
    before = _raw_key(conn.pk)
    provider = ModelProvider.objects.create(name="GPU", base_url="http://x.test/v1", api_key="sk-5")
    provider_before = _raw_provider_key(provider.pk)

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    crypto._fernet.cache_clear()
    call_command("rotate_encryption_keys", stdout=io.StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone: rows must still decrypt
    crypto._fernet.cache_clear()
    assert _raw_key(conn.pk) != before
    assert Connection.objects.get(pk=conn.pk).api_key == "sk-1234"
    assert _raw_provider_key(provider.pk) != provider_before
    assert ModelProvider.objects.get(pk=provider.pk).api_key == "sk-5"
