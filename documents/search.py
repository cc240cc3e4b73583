"""Searching incoming documents: full text over metadata and extracted text, diacritic-insensitive, ranked,
with highlighted snippets and filters — always within :func:`documents.selectors.incoming_visible_to`.

How it works
------------
* ``IncomingDocument.search_text`` holds :func:`partyhub.text.fold` of the metadata and the extracted text
  (lower case, no diacritics, đ → d). :func:`refresh_search_text` fills it; receiving/digitizing (after OCR)
  and registering call it. The query goes through the same ``fold``, so "nghi quyet chuyen doi so" finds
  "Nghị quyết … chuyển đổi số".
* PostgreSQL: words are matched with full-text search (``search_vector``, a stored generated column
  ``to_tsvector('simple', search_text)`` with a GIN index — migration 0004; every word required) and ranked
  with ``ts_rank`` on it; tokens that are not plain words (a number and symbol such
  as ``57-NQ/TW``) are matched as substrings with ``LIKE`` served by the trigram index (``pg_trgm``).
* Other databases (the embedded SQLite): ``icontains`` on the folded column per term, newest first.
* Snippets are made here, in Python, for the page being shown: the original text is folded character by
  character while remembering where each folded character came from, so the matched words are found in the
  folded text and marked in the *original* (with its diacritics). Everything is HTML-escaped; only our
  ``<mark>`` tags are markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from partyhub.text import fold

from .models import (
    Assignment,
    AssignmentRole,
    Confidentiality,
    IncomingDocument,
    IncomingStatus,
    SavedSearch,
    Urgency,
)
from .selectors import incoming_visible_to

#: Orders a search may ask for. ``rank`` falls back to ``newest`` without words or on SQLite.
ORDERS = ("rank", "newest", "oldest", "number")
#: Filter keys understood by :func:`search_incoming` (values already cleaned: ids, dates, choice values).
FILTER_KEYS = (
    "document_type",
    "sender",
    "received_from",
    "received_to",
    "status",
    "handler",
    "urgency",
    "confidentiality",
    "year",
    "organization",
)
MAX_TERMS = 12
MAX_TERM_LENGTH = 60
SNIPPET_CHARS = 220
#: Matches of a text search are counted up to this; above it results are not ranked but shown newest first
#: (counting and ranking read every match: a common word matches most of a million documents).
COUNT_LIMIT = 10_000
NEWEST = ("-received_on", F("number").desc(nulls_last=True), "-id")

_WORD_RE = re.compile(r"^[a-z0-9]+$")
_EDGE_PUNCT_RE = re.compile(r"^[^\w]+|[^\w]+$")
_SPLIT_RE = re.compile(r"[\s,;:!?()\[\]{}\"'“”‘’«»]+")
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})


# --- the search column ------------------------------------------------------------------------------------


def search_source(document: IncomingDocument) -> str:
    """The original (unfolded) text the search column is made of: metadata first, then the extracted text."""
    parts: list[str] = []
    if document.number:
        parts.append(str(document.number))
    parts += [document.number_symbol, document.sender, document.summary, document.signer_name, document.notes]
    if document.sender_organization_id:
        parts.append(document.sender_organization.name)
    if document.document_type_id:
        parts += [document.document_type.name, document.document_type.abbreviation]
    parts.append(document.extracted_text)
    return "\n".join(p for p in parts if p)


def refresh_search_text(document: IncomingDocument) -> str:
    """Recompute and save ``document.search_text`` (call after OCR, after metadata changes and at
    registration). Writes only that column; returns the new value."""
    text = fold(search_source(document))
    document.search_text = text
    if document.pk is not None:
        IncomingDocument.objects.filter(pk=document.pk).update(search_text=text)
    return text


# --- queries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """The folded query split into whole words (full text) and literal tokens (substring match)."""

    text: str = ""
    words: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        return self.words + self.literals

    def __bool__(self) -> bool:
        return bool(self.words or self.literals)


def parse_query(q: str | None) -> ParsedQuery:
    """Fold ``q`` and split it: plain words (``nghi``, ``quyet``, ``2026``) and literal tokens such as
    ``57-nq/tw`` (kept whole, matched as substrings). Duplicates dropped, at most :data:`MAX_TERMS`."""
    folded = fold(q or "")
    words: list[str] = []
    literals: list[str] = []
    for raw in _SPLIT_RE.split(folded):
        token = _EDGE_PUNCT_RE.sub("", raw)[:MAX_TERM_LENGTH]
        if not token:
            continue
        if _WORD_RE.match(token):
            if token not in words:
                words.append(token)
        else:
            # "57-nq/tw" stays whole; "chuyen_doi" or other odd punctuation become words.
            if re.search(r"[-/.]", token) and re.search(r"[a-z0-9]", token):
                if token not in literals:
                    literals.append(token)
            else:
                for part in re.split(r"[^a-z0-9]+", token):
                    if part and part not in words:
                        words.append(part)
        if len(words) + len(literals) >= MAX_TERMS:
            break
    return ParsedQuery(text=folded, words=tuple(words), literals=tuple(literals))


def _tsquery(words: Iterable[str]) -> str:
    # Words are [a-z0-9]+ by construction: nothing to escape in the tsquery syntax.
    return " & ".join(words)


class _FoldedColumn(Func):
    """A column folded in the database: ``unaccent(lower(x))`` on PostgreSQL, ``ph_fold(x)`` on SQLite (a
    Python function registered on each SQLite connection, see :func:`register_sqlite_functions`)."""

    template = "lower(%(expressions)s)"
    output_field = TextField()

    def as_postgresql(self, compiler, conn, **extra_context):
        return self.as_sql(compiler, conn, template="unaccent(lower(%(expressions)s))", **extra_context)

    def as_sqlite(self, compiler, conn, **extra_context):
        return self.as_sql(compiler, conn, template="ph_fold(%(expressions)s)", **extra_context)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: gives SQLite the ``ph_fold`` function (same as ``partyhub.text.fold``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("ph_fold", 1, fold, deterministic=True)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _apply_filters(qs: QuerySet, filters: Mapping[str, Any]) -> QuerySet:
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise ValueError(f"unknown search filters: {sorted(unknown)}")
    f = {k: v for k, v in filters.items() if v not in (None, "", [], ())}
    if "document_type" in f:
        qs = qs.filter(document_type_id=getattr(f["document_type"], "pk", f["document_type"]))
    if "organization" in f:
        qs = qs.filter(organization_id=getattr(f["organization"], "pk", f["organization"]))
    if "sender" in f:
        sender = fold(str(f["sender"]))
        if sender:
            qs = qs.annotate(_sender_folded=_FoldedColumn(F("sender"))).filter(
                Q(_sender_folded__contains=sender) | Q(sender_organization__name__icontains=f["sender"])
            )
    if "received_from" in f:
        qs = qs.filter(received_on__gte=f["received_from"])
    if "received_to" in f:
        qs = qs.filter(received_on__lte=f["received_to"])
    if "status" in f:
        statuses = f["status"] if isinstance(f["status"], (list, tuple, set)) else [f["status"]]
        qs = qs.filter(status__in=list(statuses))
    if "urgency" in f:
        qs = qs.filter(urgency=f["urgency"])
    if "confidentiality" in f:
        level = f["confidentiality"]
        qs = qs.filter(confidentiality="" if level == "normal" else level)
    if "year" in f:
        qs = qs.filter(period=str(f["year"]))
    if "handler" in f:
        handler_id = getattr(f["handler"], "pk", f["handler"])
        handled = Assignment.objects.filter(
            directive__document_id=OuterRef("pk"),
            directive__superseded_at__isnull=True,
            user_id=handler_id,
            role__in=[AssignmentRole.LEAD, AssignmentRole.COOPERATE],
        )
        qs = qs.filter(Exists(handled))
    return qs


@dataclass
class SearchResult:
    """A search over the documents a user may see. ``queryset`` is filtered and ordered (lazy); use
    :meth:`page` to get one page of documents with highlighted ``search_summary``/``search_sender``/
    ``search_snippet`` (safe HTML) attached."""

    queryset: QuerySet
    query: ParsedQuery
    filters: dict[str, Any] = field(default_factory=dict)
    order: str = "rank"
    full_text: bool = False
    #: Whether the rows are in order of relevance (see :meth:`page`).
    ranked: bool = False
    #: Whether more documents match than were counted (see :meth:`page`).
    count_capped: bool = False

    @property
    def q(self) -> str:
        return self.query.text

    @property
    def terms(self) -> tuple[str, ...]:
        return self.query.terms

    def count(self) -> int:
        return self.queryset.count()

    def page(self, number: int | str = 1, per_page: int = 20) -> Page:
        """One page (``Paginator.get_page`` semantics: out-of-range numbers give the last page), highlighted.
        Two queries: the count and the rows.

        With words, matches are counted up to :data:`COUNT_LIMIT` only (``count_capped`` tells when there are
        more: the page says "more than …"), and ranking — which reads the stored vector of every match — is
        skipped above that: such results (a word found nearly everywhere, like "dang") come newest first by
        an index, and ``ranked`` is ``False``."""
        queryset = self.queryset
        if self.query:
            count = queryset.order_by()[: COUNT_LIMIT + 1].count()
            if count > COUNT_LIMIT:
                count = COUNT_LIMIT
                self.count_capped = True
                if self.order in ("rank", "newest"):
                    # (received_on, id) has an index: the first rows come without sorting every match.
                    queryset = queryset.order_by("-received_on", "-id")
                    self.ranked = False
        else:
            count = queryset.count()
        paginator = Paginator(queryset, per_page)
        paginator.__dict__["count"] = count  # already counted (cached_property)
        page = paginator.get_page(number)
        highlight_documents(page.object_list, self.query)
        return page

    def highlight(self, documents: Iterable[IncomingDocument]) -> None:
        highlight_documents(documents, self.query)


def search_incoming(
    user, *, q: str = "", filters: Mapping[str, Any] | None = None, order: str = "rank"
) -> SearchResult:
    """Search the incoming documents ``user`` may see.

    ``q``: free text, diacritics optional; every word must match (metadata or extracted text).
    ``filters``: cleaned values keyed by :data:`FILTER_KEYS` — ``document_type`` (id), ``sender`` (text,
    diacritic-insensitive substring), ``received_from``/``received_to`` (dates), ``status`` (value or list),
    ``handler`` (user id: lead or co-operating in the current directive), ``urgency``, ``confidentiality``
    (a level, or ``"normal"`` for unclassified), ``year`` (register period), ``organization`` (id).
    ``order``: ``rank`` (relevance on PostgreSQL when there are words; otherwise newest first), ``newest``,
    ``oldest``, ``number``.
    """
    filters = dict(filters or {})
    if order not in ORDERS:
        order = "rank"
    parsed = parse_query(q)
    qs = incoming_visible_to(user)
    qs = _apply_filters(qs, filters)
    postgres = connection.vendor == "postgresql"
    full_text = False
    if parsed:
        if postgres:
            if parsed.words:
                tsq = _tsquery(parsed.words)
                qs = qs.filter(
                    RawSQL(
                        "search_vector @@ to_tsquery('simple', %s)",
                        [tsq],
                        output_field=BooleanField(),
                    )
                )
                qs = qs.annotate(
                    rank=RawSQL(
                        "ts_rank(search_vector, to_tsquery('simple', %s))",
                        [tsq],
                        output_field=FloatField(),
                    )
                )
                full_text = True
            for literal in parsed.literals:
                qs = qs.filter(
                    RawSQL(
                        "search_text LIKE %s",
                        [f"%{_like_escape(literal)}%"],
                        output_field=BooleanField(),
                    )
                )
        else:
            for term in parsed.terms:
                qs = qs.filter(search_text__icontains=term)
    if not full_text:
        qs = qs.annotate(rank=Value(0.0, output_field=FloatField()))
    newest = NEWEST
    if order == "oldest":
        ordering = ["received_on", F("number").asc(nulls_last=True), "id"]
    elif order == "number":
        ordering = ["-period", F("number").desc(nulls_last=True), "-id"]
    elif order == "rank" and full_text:
        ordering = ["-rank", *newest]
    else:
        ordering = list(newest)
    qs = qs.select_related("document_type", "organization", "register").order_by(*ordering)
    return SearchResult(
        queryset=qs,
        query=parsed,
        filters=filters,
        order=order,
        full_text=full_text,
        ranked=full_text and order == "rank",
    )


# --- highlighting -----------------------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    if ch.isspace():
        return " "
    decomposed = unicodedata.normalize("NFD", ch.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """``text`` folded like :func:`partyhub.text.fold` (without collapsing spaces), and for every folded
    character the index of the original character it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        piece = _fold_char(ch)
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


def _term_pattern(terms: Iterable[str]) -> re.Pattern | None:
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return None
    # A term matches at the start of a word (Vietnamese syllables are words; "so" must not mark "also").
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(t) for t in terms) + r")")


def _matches(text: str, pattern: re.Pattern) -> tuple[list[tuple[int, int, str]], int]:
    """Matches of ``pattern`` in ``text`` as original (start, end, folded term) spans."""
    folded, where = fold_with_map(text)
    spans: list[tuple[int, int, str]] = []
    for m in pattern.finditer(folded):
        if m.end() == m.start():
            continue
        start = where[m.start()]
        end = where[m.end() - 1] + 1
        # Keep combining marks that follow the last base letter inside the mark.
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        spans.append((start, end, m.group(0)))
    return spans, len(text)


def _render(text: str, spans: list[tuple[int, int, str]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out: list[str] = []
    pos = start
    for s, e, _term in spans:
        if e <= start or s >= end or s < pos:
            continue
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str | None, terms: Iterable[str]) -> SafeString:
    """The whole of ``text``, HTML-escaped, with every match of ``terms`` (folded) wrapped in ``<mark>``."""
    text = text or ""
    pattern = _term_pattern(terms)
    if pattern is None or not text:
        return mark_safe(escape(text))
    spans, _length = _matches(text, pattern)
    return mark_safe(_render(text, spans))


def snippet(text: str | None, terms: Iterable[str], *, size: int = SNIPPET_CHARS) -> SafeString:
    """About ``size`` characters of ``text`` around the densest group of matches (most distinct terms, then
    most matches), cut at word boundaries, HTML-escaped, matches in ``<mark>``. Without a match: the start of
    the text (empty for empty text)."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if not text:
        return mark_safe("")
    pattern = _term_pattern(terms)
    spans = _matches(text, pattern)[0] if pattern is not None else []
    if not spans:
        cut = _cut_end(text, min(len(text), size))
        return mark_safe(escape(text[:cut]) + (" …" if cut < len(text) else ""))
    best = (0, 0, 0)  # (distinct terms, matches, index of the first span)
    for i, (s, _e, _t) in enumerate(spans):
        inside = [sp for sp in spans[i:] if sp[1] <= s + size]
        score = (len({sp[2] for sp in inside}), len(inside), -i)
        if score > (best[0], best[1], -best[2]):
            best = (score[0], score[1], i)
    first = spans[best[2]]
    # Centre the window on the group of matches.
    group_end = max(sp[1] for sp in spans[best[2] :] if sp[1] <= first[0] + size)
    slack = max(0, size - (group_end - first[0]))
    start = max(0, first[0] - slack // 2)
    end = min(len(text), max(group_end, start + size))
    start = _cut_start(text, start)
    end = _cut_end(text, end)
    body = _render(text, spans, start, end)
    return mark_safe(("… " if start > 0 else "") + body + (" …" if end < len(text) else ""))


def _cut_start(text: str, pos: int) -> int:
    if pos <= 0:
        return 0
    space = text.find(" ", pos)
    return space + 1 if 0 <= space < pos + 20 else pos


def _cut_end(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space if space > 0 else pos


def highlight_documents(documents: Iterable[IncomingDocument], query: ParsedQuery | str) -> None:
    """Attach ``search_summary``, ``search_sender``, ``search_symbol`` and ``search_snippet`` (safe HTML)
    to each document. Classified documents keep no text, so their snippet is empty."""
    if isinstance(query, str):
        query = parse_query(query)
    terms = query.terms
    for doc in documents:
        doc.search_summary = highlight(doc.summary, terms)
        doc.search_sender = highlight(doc.sender, terms)
        doc.search_symbol = highlight(doc.number_symbol, terms)
        doc.search_snippet = snippet(doc.extracted_text, terms) if terms else mark_safe("")


# --- saved searches ---------------------------------------------------------------------------------------

#: Query-string keys a saved search keeps (the search form's fields).
SAVED_KEYS = ("q", "order", *FILTER_KEYS)


def clean_saved_query(params: Mapping[str, Any]) -> dict[str, str]:
    """The search form's parameters worth keeping (known keys, non-empty, as strings)."""
    kept: dict[str, str] = {}
    for key in SAVED_KEYS:
        value = params.get(key)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else ""
        if value not in (None, ""):
            kept[key] = str(value)[:300]
    return kept


def saved_searches_of(user) -> QuerySet[SavedSearch]:
    """The user's own saved searches (nobody sees another's)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SavedSearch.objects.none()
    return SavedSearch.objects.filter(user_id=user.pk).order_by("name")


@transaction.atomic
def save_search(*, actor, name: str, query: Mapping[str, Any]) -> SavedSearch:
    """Save (or replace, by name) one of ``actor``'s searches."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the search a name.")})
    if len(name) > SavedSearch._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    kept = clean_saved_query(query)
    if not kept:
        raise ValidationError({"q": _("There is nothing to save: enter words or choose a filter.")})
    saved, _created = SavedSearch.objects.update_or_create(user=actor, name=name, defaults={"query": kept})
    return saved


@transaction.atomic
def delete_saved_search(*, actor, saved: SavedSearch) -> None:
    """Delete one of ``actor``'s saved searches (someone else's: ``PermissionDenied``)."""
    from django.core.exceptions import PermissionDenied

    if saved.user_id != actor.pk:
        raise PermissionDenied
    saved.delete()


# Choice helpers the form and the API share.
STATUS_CHOICES = IncomingStatus.choices
URGENCY_CHOICES = [(v, label) for v, label in Urgency.choices if v]
CONFIDENTIALITY_CHOICES = [("normal", Confidentiality.NORMAL.label)] + [
    (v, label) for v, label in Confidentiality.choices if v
]
