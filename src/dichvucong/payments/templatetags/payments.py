"""The payment parts other apps' pages include: the fee and how to pay on the citizen's dossier
page, the fee and the cash desk in the back office, and the fee shown before submitting."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.catalog.presenters import format_vnd, unknown_fee_text
from dichvucong.payments import services
from dichvucong.payments.fees import DUE_LABELS, Due
from dichvucong.payments.models import DossierFee, FeeState, PaymentState

register = template.Library()


@register.filter
def vnd(amount) -> str:
    return format_vnd(int(amount or 0))


def unknown_lines(lines) -> list[tuple[str, str]]:
    """(name, «Chưa công bố …») of the quote's lines whose amount is not known yet; ``lines``
    are a quote's lines or their stored JSON."""
    found = []
    for line in lines:
        item = line if isinstance(line, dict) else line.__dict__
        if item.get("unknown"):
            found.append((item.get("name") or "", unknown_fee_text(item.get("set_by") or "")))
    return found


def fee_of(dossier) -> DossierFee | None:
    """The dossier's fee, read once per dossier object (Django keeps the one-to-one relation's
    row, or its absence, on the object): a page's fee parts share one query."""
    try:
        return dossier.fee
    except DossierFee.DoesNotExist:
        return None


@register.simple_tag
def fee_fact(dossier) -> str:
    """The dossier's fee in one phrase: the amount, «Miễn phí», or «Chưa công bố …» when a fee's
    amount is not known yet (never «Miễn phí» then)."""
    fee = fee_of(dossier)
    unknown = unknown_lines((fee.quote or {}).get("lines", [])) if fee else []
    parts = [format_vnd(dossier.fee_amount)] if dossier.fee_amount else []
    parts += [text for _name, text in unknown[:1]]
    return " + ".join(parts) if parts else _("Miễn phí")


def _fee_context(dossier) -> dict:
    fee = fee_of(dossier)
    payments = list(fee.payments.select_related("recorded_by")) if fee and fee.amount else []
    quote = fee.quote if fee else {}
    return {
        "dossier": dossier, "fee": fee, "lines": quote.get("lines", []),
        "unknown": unknown_lines(quote.get("lines", [])),
        "due_label": DUE_LABELS[Due(fee.due)] if fee else "",
        "payments": [p for p in payments if p.state != PaymentState.PENDING
                     or p.provider != "vietqr"],
        "paid": fee is not None and fee.state == FeeState.PAID,
        "payable": fee is not None and fee.state == FeeState.DUE,
    }


@register.inclusion_tag("payments/_panel.html", takes_context=True)
def dossier_payments(context) -> dict:
    dossier = context["dossier"]
    return {**_fee_context(dossier), "request": context.get("request"),
            "csrf_token": context.get("csrf_token"),
            "vnpay": services.vnpay_configured(), "vietqr": services.vietqr_configured()}


@register.simple_tag
def fee_due(dossier):
    """The fee of the dossier waiting to be paid (the «Việc bạn cần làm» panel,
    ``payments/_todo.html``), None when none waits."""
    fee = fee_of(dossier)
    return fee if fee is not None and fee.state == FeeState.DUE and fee.amount > 0 else None


@register.inclusion_tag("payments/_office_panel.html", takes_context=True)
def office_payments(context) -> dict:
    dossier = context["dossier"]
    request = context["request"]
    found = _fee_context(dossier)
    return {**found, "request": request, "csrf_token": context.get("csrf_token"),
            "may_take_cash": found["payable"] and services.may_record_cash(request.user,
                                                                           dossier),
            "may_set": bool(found["unknown"]) and found["fee"].state == FeeState.QUOTED
            and services.may_record_cash(request.user, dossier)}



@register.inclusion_tag("payments/_preview.html")
def fee_preview(definition) -> dict:
    quote = services.preview_quote(definition, online=True)
    in_force = definition.fees_on(timezone.localdate())  # the rows the quote used
    exemptions = [rule.reason for fee in in_force for rule in fee.exempt_when]
    exemptions += [text for fee in in_force for text in fee.exemptions]
    return {"quote": quote, "exemptions": exemptions, "has_fees": bool(definition.fees),
            "unknown": unknown_lines(quote.lines),
            "due_label": quote.due_label}
