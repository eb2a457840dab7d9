import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_a_nonce_based_content_security_policy(client, owner):
    client.force_login(owner)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    # The htmx script tag carries the same nonce as the header.
    assert f'nonce="{nonce}"' in response.content.decode()


def test_each_response_gets_a_fresh_nonce(client, owner):
    client.force_login(owner)
    first = client.get(reverse("home"))["Content-Security-Policy"]
    second = client.get(reverse("home"))["Content-Security-Policy"]
    assert first != second


def test_clickjacking_and_sniffing_protection(client, owner):
    client.force_login(owner)
    response = client.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
