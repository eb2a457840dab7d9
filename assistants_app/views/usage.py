"""Usage: tokens and runs of the built-in engine per day, person, assistant and model, as charts
with the numbers beside them and a CSV download. A member sees their own runs; administrators
see everyone's and set the monthly token budgets (per person, a default, per engine key).

The numbers are the engine's own records, read through its usage service (engine.usage)."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from ..roles import MANAGE_MODELS
from ..usage import bar_chart

if TYPE_CHECKING:
    from engine.usage import Report

admins_only = permission_required(MANAGE_MODELS, raise_exception=True)
PERIODS = {"7": 7, "30": 30, "90": 90}


class BudgetForm(forms.Form):
    owner = forms.ChoiceField(label="Whose budget")
    monthly_tokens = forms.IntegerField(
        min_value=1, max_value=10**15, label="Tokens a month", help_text="Resets on the 1st (UTC)."
    )

    def __init__(self, *args, **kwargs) -> None:
        from engine import usage

        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["owner"].choices = [
            ("default", "Everyone without their own (default, per person)"),
            *[(f"person:{p.pk}", p.get_username()) for p in people],
            *[(f"key:{pk}", f"Engine key: {name}") for pk, name in usage.key_choices()],
        ]


@require_GET
def usage_page(request: HttpRequest) -> HttpResponse:
    from engine import usage

    context = _context(request)
    if request.user.has_perm(MANAGE_MODELS):
        context["budgets"] = usage.list_budgets()
        context["budget_form"] = BudgetForm()
    return render(request, "usage/page.html", context)


@require_GET
def usage_csv(request: HttpRequest) -> HttpResponse:
    _, _, report = _report(request)  # the numbers only: no charts, no budget check
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="usage-{report.start}-{report.end - timedelta(days=1)}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["by", "name", "tokens", "prompt_tokens", "completion_tokens", "runs"])
    for by, rows in (("day", report.days), ("person", report.people),
                     ("assistant", report.assistants), ("model", report.models)):  # fmt: skip
        for row in rows:
            writer.writerow([by, _cell(row.label), row.tokens, row.prompt_tokens,
                             row.completion_tokens, row.runs])  # fmt: skip
    return response


@require_POST
@admins_only
def budget_set(request: HttpRequest) -> HttpResponse:
    from engine import usage

    form = BudgetForm(request.POST)
    if not form.is_valid():
        context = _context(request)
        context.update(budgets=usage.list_budgets(), budget_form=form)
        return render(request, "usage/page.html", context, status=422)
    kind, _, pk = form.cleaned_data["owner"].partition(":")
    tokens = form.cleaned_data["monthly_tokens"]
    usage.set_budget(
        monthly_tokens=tokens,
        person_id=int(pk) if kind == "person" else None,
        key_id=int(pk) if kind == "key" else None,
    )
    label = dict(form.fields["owner"].choices)[form.cleaned_data["owner"]]
    messages.success(request, f"Budget of {label}: {tokens:,} tokens a month.")
    return redirect("usage_page")


@require_POST
@admins_only
def budget_delete(request: HttpRequest, pk: int) -> HttpResponse:
    from engine import usage

    if not usage.delete_budget(pk):
        raise Http404("No such budget.")
    messages.success(request, "Removed the budget.")
    return redirect("usage_page")


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: names are text here.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _report(request: HttpRequest) -> tuple[int, bool, Report]:
    """The period asked for (in days), whether the person sees everyone's runs, and the
    engine's report of them."""
    from engine import usage

    days = PERIODS.get(request.GET.get("days", ""), 30)
    end = timezone.now().date() + timedelta(days=1)
    start = end - timedelta(days=days)
    everyone = request.user.has_perm(MANAGE_MODELS)
    return days, everyone, usage.report(start, end, person_id=None if everyone else request.user.pk)


def _context(request: HttpRequest) -> dict:
    from engine import usage

    days, everyone, report = _report(request)
    charts = [
        ("days", bar_chart("Tokens per day", report.days), report.days),
        ("people", bar_chart("Tokens per person", report.people[:12]), report.people),
        ("assistants", bar_chart("Tokens per assistant", report.assistants[:12]),
         report.assistants),
        ("models", bar_chart("Tokens per model", report.models[:12]), report.models),
    ]  # fmt: skip
    if not everyone:
        charts = [c for c in charts if c[0] != "people"]
    _, resets = usage.month_bounds()
    month = usage.refusal(person_id=request.user.pk, key=None)
    return {
        "nav": "usage",
        "report": report,
        "charts": charts,
        "days": days,
        "periods": list(PERIODS),
        "everyone": everyone,
        "resets": resets,
        "over_budget": month,
        "last_day": report.end - timedelta(days=1),
    }
