from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Connection


@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    """The connection the dashboard uses, its key masked; managing connections is for admins."""
    connection = Connection.objects.default()
    base_url = settings.ENGINE_BASE_URL if connection.is_builtin else connection.base_url
    context = {"nav": "settings", "connection": connection, "base_url": base_url}
    return render(request, "settings/index.html", context)
