from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    # django-htmx's {% htmx_script %} looks for `csp_nonce` (Django 6's name); django-csp 4
    # only offers CSP_NONCE, so expose the lazy nonce under the name django-htmx expects.
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
