"""Pages of the distribution: the recipients and delivery panel of an issued outgoing document (included in
its page as ``documents/outgoing/_delivery.html``), recording how a document went to an outside recipient
(htmx), and delivering again to internal recipients whose delivery is still waiting."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from partyhub.queue import enqueue

from ..distribution import delivery_rows
from ..models import DeliveryMethod, OutgoingDocument, OutgoingRecipient, OutgoingStatus
from ..services import distribution as services

PANEL_TEMPLATE = "documents/outgoing/_delivery_panel.html"


class MarkSentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Sent by"),
        choices=[("", "—")] + [(v, DeliveryMethod(v).label) for v in services.OUTSIDE_METHODS],
    )
    sent_at = forms.DateTimeField(
        label=_("Sent at"),
        required=False,
        help_text=_("Empty: now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=services.MAX_NOTE,
        help_text=_("e.g. the post receipt number or the e-mail address used"),
    )


def _form_for(recipient: OutgoingRecipient, data=None) -> MarkSentForm:
    initial = {}
    if recipient.method and recipient.method != DeliveryMethod.INTERNAL:
        initial = {"method": recipient.method, "sent_at": recipient.sent_at, "note": recipient.note}
    return MarkSentForm(data=data, initial=initial, auto_id=f"id_recipient{recipient.pk}_%s")


def delivery_panel_context(request, document: OutgoingDocument, *, bound=None, message="") -> dict:
    """What ``_delivery_panel.html`` shows. ``bound``: (recipient id, bound form) after a refused submission."""
    user = getattr(request, "user", None)
    rows = delivery_rows(document)
    may_mark = services.can_mark_sent(user, document) and document.status in (
        OutgoingStatus.ISSUED,
        OutgoingStatus.RECALLED,
    )
    for row in rows:
        if may_mark and not row.internal:
            if bound is not None and bound[0] == row.recipient.pk:
                row.form = bound[1]
            else:
                row.form = _form_for(row.recipient)
    return {
        "request": request,
        "document": document,
        "rows": rows,
        "may_mark": may_mark,
        "may_deliver": may_mark
        and document.status == OutgoingStatus.ISSUED
        and any(row.state == "waiting" for row in rows),
        "issued": document.status in (OutgoingStatus.ISSUED, OutgoingStatus.RECALLED),
        "panel_message": message,
    }


def _outgoing_page(document: OutgoingDocument) -> str:
    try:
        return reverse("documents:outgoing_detail", args=[document.pk])
    except NoReverseMatch:
        return reverse("documents:index")


def _answer(request, document, *, bound=None, message="", status=200):
    if request.headers.get("HX-Request"):
        context = delivery_panel_context(request, document, bound=bound, message=message)
        return render(request, PANEL_TEMPLATE, context, status=status)
    if message:
        messages.success(request, message)
    elif bound is not None:
        for error in bound[1].errors.values():
            messages.error(request, " ".join(error))
    return HttpResponseRedirect(_outgoing_page(document))


@require_POST
def recipient_mark_sent(request, pk):
    """Record how and when the document went to one outside recipient."""
    recipient = get_object_or_404(OutgoingRecipient.objects.select_related("document", "organization"), pk=pk)
    document = recipient.document
    if not services.can_mark_sent(request.user, document):
        raise Http404
    form = _form_for(recipient, data=request.POST)
    if form.is_valid():
        try:
            services.recipient_mark_sent(
                actor=request.user,
                recipient=recipient,
                method=form.cleaned_data["method"],
                sent_at=form.cleaned_data["sent_at"],
                note=form.cleaned_data["note"],
            )
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                for error in exc.messages:
                    form.add_error(None, error)
        else:
            return _answer(request, document, message=_("Recorded: %(name)s.") % {"name": recipient.name})
    return _answer(request, document, bound=(recipient.pk, form), status=200)


@require_POST
def outgoing_deliver(request, pk):
    """Deliver again to internal recipients still waiting (after a failure); idempotent."""
    document = get_object_or_404(OutgoingDocument, pk=pk)
    if not services.can_mark_sent(request.user, document):
        raise Http404
    if document.status == OutgoingStatus.ISSUED:
        from ..tasks import distribute_outgoing

        enqueue(distribute_outgoing, document.pk)
    document.refresh_from_db()
    return _answer(request, document, message=_("Delivery to the recipients in PartyHub was started."))
