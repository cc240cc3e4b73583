"""A small chart toolkit: bar, stacked bar and donut charts drawn on the server as inline SVG.

No JavaScript and no chart library, so the charts work offline, print, and read the same on a tablet.
Each chart is a ``<figure>`` holding:

* the SVG, with ``role="img"``, a ``<title>`` and a ``<desc>`` naming every value (what a screen reader
  announces), a ``<title>`` on every bar or segment (the tooltip), and the labels and values drawn as text;
* an HTML legend where the chart has series (it wraps on narrow screens, the SVG does not);
* a data table in a ``<details>`` element: the same numbers for whoever would rather read them.

Usage (``{% load charts %}``)::

    {% bar_chart items title=_("Members per cell") unit="count" %}
    {% stacked_bar rows series title=_("Assessment per cell") %}
    {% donut items title=_("Members by status") center_label=_("members") %}

``items`` are dicts (or objects) with ``label``, ``value`` and optionally ``color``, ``url`` and ``note``
(an extra text shown after the value, e.g. "2/3"); ``series`` are dicts with ``label`` and optionally
``color``; ``rows`` are dicts with ``label``, ``values`` (one number per series, in order) and
optionally ``url``. ``unit`` is ``count``, ``percent`` or ``money`` (đồng).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

#: Okabe–Ito colours (readable by people with colour-vision deficiencies), starting with the party red.
PALETTE = ("#a4161a", "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6b6b6b")
EMPTY_COLOR = "#d6d3cf"
INK = "#1c1c1c"
MUTED = "#55595f"

# Geometry of the horizontal charts (SVG user units; the SVG scales to the width of its box).
# About the width of a dashboard card on a tablet or a desktop, so text is drawn near its nominal size.
WIDTH = 520
ROW_HEIGHT = 52
LABEL_HEIGHT = 20
BAR_HEIGHT = 22
VALUE_SPACE = 116
FONT = 16


@dataclass(frozen=True)
class _Item:
    label: str
    value: float
    color: str
    url: str = ""
    note: str = ""


def _get(obj, key: str, default=None):
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    if isinstance(obj, list | tuple) and key in ("label", "value"):
        return obj[0 if key == "label" else 1] if len(obj) > 1 else default
    return getattr(obj, key, default)


def _number(value) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _items(data: Iterable | None) -> list[_Item]:
    items = []
    for index, raw in enumerate(data or ()):
        items.append(
            _Item(
                label=str(_get(raw, "label", "")),
                value=max(_number(_get(raw, "value")), 0.0),
                color=str(_get(raw, "color") or PALETTE[index % len(PALETTE)]),
                url=str(_get(raw, "url") or ""),
                note=str(_get(raw, "note") or ""),
            )
        )
    return items


def _grouped(number: float, decimals: int) -> str:
    """Groups of three digits always (Django's Vietnamese formats set no NUMBER_GROUPING)."""
    return numberformat.format(
        round(number, decimals),
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=decimals,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def format_value(value, unit: str = "count") -> str:
    """A value as people read it in the active language: 1.234.000 đ, 66,7% (vi) / 1,234,000 đ, 66.7% (en)."""
    number = _number(value)
    if unit == "percent":
        return f"{_grouped(number, 1)}%"
    if unit == "money":
        from members.fees import format_money

        return format_money(round(number))
    if number == int(number):
        return _grouped(int(number), 0)
    return _grouped(number, 1)


def _ids() -> tuple[str, str]:
    key = uuid.uuid4().hex[:10]
    return f"chart-{key}-title", f"chart-{key}-desc"


def _fmt(number: float) -> str:
    """A coordinate: short, no exponent, dot decimal whatever the language."""
    return f"{number:.2f}".rstrip("0").rstrip(".") or "0"


def _svg_open(width: float, height: float, title: str, description: str, css_class: str) -> SafeString:
    title_id, desc_id = _ids()
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg {}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-labelledby="{} {}" preserveAspectRatio="xMinYMin meet" '
        'font-family="Segoe UI, Roboto, Noto Sans, Liberation Sans, Arial, sans-serif" font-size="{}">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>',
        css_class,
        _fmt(width),
        _fmt(height),
        _fmt(width),
        _fmt(height),
        title_id,
        desc_id,
        FONT,
        title_id,
        title,
        desc_id,
        description,
    )


def _linked(url: str, content: SafeString) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, content) if url else content


def _table(title: str, head: list[str], rows: list[list[str]]) -> SafeString:
    header = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in head))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html(
                    '<th scope="row">{}</th>{}',
                    row[0],
                    format_html_join("", '<td class="num">{}</td>', ((cell,) for cell in row[1:])),
                ),
            )
            for row in rows
        ),
    )
    return format_html(
        '<details class="chart-data"><summary>{}</summary><div class="table-scroll"><table>'
        "<caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div></details>",
        _("Show the numbers"),
        title,
        header,
        body,
    )


def _legend(entries: list[tuple[str, str, str]]) -> SafeString:
    """``entries``: (colour, label, value text)."""
    return format_html(
        '<ul class="chart-legend">{}</ul>',
        format_html_join(
            "",
            '<li><span class="chart-swatch" style="background:{}" aria-hidden="true"></span>{}{}</li>',
            (
                (color, label, format_html(' <span class="chart-legend-value">{}</span>', value) if value else "")
                for color, label, value in entries
            ),
        ),
    )


def _figure(kind: str, title: str, svg: SafeString, extra: SafeString, table: SafeString, heading: bool) -> str:
    caption = format_html('<figcaption class="chart-title">{}</figcaption>', title) if heading else ""
    return format_html('<figure class="chart chart-{}">{}{}{}{}</figure>', kind, caption, svg, extra, table)


def _empty(kind: str, title: str, heading: bool) -> str:
    caption = format_html('<figcaption class="chart-title">{}</figcaption>', title) if heading else ""
    return format_html(
        '<figure class="chart chart-{} chart-empty">{}<p class="chart-empty-text">{}</p></figure>',
        kind,
        caption,
        _("No data yet."),
    )


# --- bar chart ----------------------------------------------------------------------------------------------


@register.simple_tag
def bar_chart(items, title: str = "", unit: str = "count", max_value=None, show_title: bool = True) -> str:
    """Horizontal bars, one per item, the label above its bar and the value at its end.

    ``max_value`` fixes the full length of a bar (100 for percentages); by default the largest value.
    """
    data = _items(items)
    title = str(title)
    if not data:
        return _empty("bar", title, show_title)
    scale_max = _number(max_value) or max((item.value for item in data), default=0.0) or 1.0
    bar_space = WIDTH - VALUE_SPACE
    height = ROW_HEIGHT * len(data) + 4
    description = "; ".join(f"{item.label}: {format_value(item.value, unit)}" for item in data)
    parts = [_svg_open(WIDTH, height, title, description, "chart-bar-svg")]
    for row, item in enumerate(data):
        y = row * ROW_HEIGHT
        length = bar_space * min(item.value / scale_max, 1.0) if scale_max else 0.0
        value_text = format_value(item.value, unit)
        tooltip = value_text + (f" ({item.note})" if item.note else "")
        bar = format_html(
            '<g class="chart-row">'
            '<text class="chart-label" x="0" y="{}" fill="{}">{}</text>'
            '<rect class="chart-track" x="0" y="{}" width="{}" height="{}" rx="4" fill="#efebe6"/>'
            '<rect class="chart-bar" x="0" y="{}" width="{}" height="{}" rx="4" fill="{}">'
            "<title>{}: {}</title></rect>"
            '<text class="chart-value" x="{}" y="{}" fill="{}" font-weight="600">{}</text></g>',
            _fmt(y + LABEL_HEIGHT - 3),
            INK,
            item.label,
            _fmt(y + LABEL_HEIGHT + 2),
            _fmt(bar_space),
            BAR_HEIGHT,
            _fmt(y + LABEL_HEIGHT + 2),
            _fmt(max(length, 0.0)),
            BAR_HEIGHT,
            item.color,
            item.label,
            tooltip,
            _fmt(bar_space + 8),
            _fmt(y + LABEL_HEIGHT + BAR_HEIGHT - 3),
            INK,
            value_text,
        )
        parts.append(_linked(item.url, bar))
    parts.append(mark_safe("</svg>"))
    notes = any(item.note for item in data)
    table = _table(
        title,
        [_("Item"), _("Value"), *([_("Detail")] if notes else [])],
        [[item.label, format_value(item.value, unit), *([item.note] if notes else [])] for item in data],
    )
    return _figure("bar", title, mark_safe("".join(parts)), mark_safe(""), table, show_title)


# --- stacked bar --------------------------------------------------------------------------------------------


@register.simple_tag
def stacked_bar(
    rows, series, title: str = "", unit: str = "count", percent: bool = False, show_title: bool = True
) -> str:
    """One horizontal bar per row, split into its series. With ``percent=True`` every bar fills the width
    (shares of the row's total), which compares rows of different sizes."""
    series_items = _items({"label": _get(s, "label", ""), "color": _get(s, "color"), "value": 0} for s in series or ())
    title = str(title)
    row_data = []
    for raw in rows or ():
        values = [max(_number(v), 0.0) for v in (_get(raw, "values") or ())]
        values = (values + [0.0] * len(series_items))[: len(series_items)]
        row_data.append((str(_get(raw, "label", "")), values, str(_get(raw, "url") or "")))
    if not row_data or not series_items:
        return _empty("stacked", title, show_title)
    bar_space = WIDTH - VALUE_SPACE
    largest = max((sum(values) for _label, values, _url in row_data), default=0.0) or 1.0
    height = ROW_HEIGHT * len(row_data) + 4
    description = "; ".join(
        f"{label}: "
        + ", ".join(f"{s.label} {format_value(v, unit)}" for s, v in zip(series_items, values, strict=True))
        for label, values, _url in row_data
    )
    parts = [_svg_open(WIDTH, height, title, description, "chart-stacked-svg")]
    for index, (label, values, url) in enumerate(row_data):
        y = index * ROW_HEIGHT
        total = sum(values)
        full = bar_space * (1.0 if percent else total / largest) if total else 0.0
        segments = []
        x = 0.0
        for s, value in zip(series_items, values, strict=True):
            if value <= 0 or total <= 0:
                continue
            width = full * value / total
            share = format_value(100.0 * value / total, "percent")
            text = ""
            if width >= 30:
                text = format_html(
                    '<text x="{}" y="{}" fill="#fff" font-size="13" font-weight="600" text-anchor="middle" '
                    'aria-hidden="true">{}</text>',
                    _fmt(x + width / 2),
                    _fmt(y + LABEL_HEIGHT + BAR_HEIGHT - 5),
                    format_value(value, unit),
                )
            segments.append(
                format_html(
                    '<rect class="chart-segment" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{} — {}: {} ({})</title></rect>{}",
                    _fmt(x),
                    _fmt(y + LABEL_HEIGHT + 2),
                    _fmt(width),
                    BAR_HEIGHT,
                    s.color,
                    label,
                    s.label,
                    format_value(value, unit),
                    share,
                    text,
                )
            )
            x += width
        group = format_html(
            '<g class="chart-row"><text class="chart-label" x="0" y="{}" fill="{}">{}</text>'
            '<rect class="chart-track" x="0" y="{}" width="{}" height="{}" fill="#efebe6"/>{}'
            '<text class="chart-value" x="{}" y="{}" fill="{}" font-weight="600">{}</text></g>',
            _fmt(y + LABEL_HEIGHT - 3),
            INK,
            label,
            _fmt(y + LABEL_HEIGHT + 2),
            _fmt(bar_space),
            BAR_HEIGHT,
            mark_safe("".join(segments)),
            _fmt(bar_space + 8),
            _fmt(y + LABEL_HEIGHT + BAR_HEIGHT - 3),
            INK,
            format_value(total, unit),
        )
        parts.append(_linked(url, group))
    parts.append(mark_safe("</svg>"))
    legend = _legend([(s.color, s.label, "") for s in series_items])
    table = _table(
        title,
        [_("Item"), *[s.label for s in series_items], _("Total")],
        [
            [label, *[format_value(v, unit) for v in values], format_value(sum(values), unit)]
            for label, values, _url in row_data
        ],
    )
    return _figure("stacked", title, mark_safe("".join(parts)), legend, table, show_title)


# --- donut --------------------------------------------------------------------------------------------------


@register.simple_tag
def donut(items, title: str = "", unit: str = "count", center_label: str = "", show_title: bool = True) -> str:
    """A ring split into the items' shares, the total in the middle, a legend with values and shares."""
    data = _items(items)
    title = str(title)
    if not data:
        return _empty("donut", title, show_title)
    total = sum(item.value for item in data)
    size, radius, stroke = 220, 80, 34
    circumference = 2 * math.pi * radius
    center = size / 2

    def share(value: float) -> str:
        return format_value(100.0 * value / total, "percent") if total else format_value(0, "percent")

    description = "; ".join(f"{item.label}: {format_value(item.value, unit)} ({share(item.value)})" for item in data)
    parts = [_svg_open(size, size, title, description, "chart-donut-svg")]
    parts.append(
        format_html(
            '<circle class="chart-track" cx="{}" cy="{}" r="{}" fill="none" stroke="{}" stroke-width="{}"/>',
            _fmt(center),
            _fmt(center),
            radius,
            EMPTY_COLOR,
            stroke,
        )
    )
    offset = 0.0
    if total > 0:
        for item in data:
            if item.value <= 0:
                continue
            length = circumference * item.value / total
            parts.append(
                format_html(
                    '<circle class="chart-segment" cx="{}" cy="{}" r="{}" fill="none" stroke="{}" '
                    'stroke-width="{}" stroke-dasharray="{} {}" stroke-dashoffset="{}" '
                    'transform="rotate(-90 {} {})"><title>{}: {} ({})</title></circle>',
                    _fmt(center),
                    _fmt(center),
                    radius,
                    item.color,
                    stroke,
                    _fmt(length),
                    _fmt(circumference - length),
                    _fmt(-offset),
                    _fmt(center),
                    _fmt(center),
                    item.label,
                    format_value(item.value, unit),
                    share(item.value),
                )
            )
            offset += length
    parts.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" font-size="34" font-weight="700" fill="{}">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="15" fill="{}">{}</text></svg>',
            _fmt(center),
            _fmt(center + 8),
            INK,
            format_value(total, unit),
            _fmt(center),
            _fmt(center + 32),
            MUTED,
            str(center_label),
        )
    )
    legend = _legend(
        [(item.color, item.label, f"{format_value(item.value, unit)} · {share(item.value)}") for item in data]
    )
    table = _table(
        title,
        [_("Item"), _("Value"), _("Share")],
        [[item.label, format_value(item.value, unit), share(item.value)] for item in data],
    )
    body = format_html('<div class="chart-donut-body">{}{}</div>', mark_safe("".join(parts)), legend)
    return _figure("donut", title, body, mark_safe(""), table, show_title)


@register.filter
def chart_value(value, unit: str = "count") -> str:
    """``{{ amount|chart_value:"money" }}``: the same number formatting as the charts."""
    return format_value(value, unit)
