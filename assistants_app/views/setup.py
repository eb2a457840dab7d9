from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..forms import AdministratorForm
from ..models import Installation


@login_not_required
@require_http_methods(["GET", "POST"])
def first_run(request: HttpRequest) -> HttpResponse:
    if not Installation.needs_setup():
        raise Http404("This installation already has an administrator.")
    form = AdministratorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = Installation.create_administrator(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        if user is None:  # someone else finished setup while this form was open
            raise Http404("This installation already has an administrator.")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your administrator account is ready.")
        return redirect("home")
    return render(request, "setup/first_run.html", {"form": form})
