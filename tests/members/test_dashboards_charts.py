"""The chart template tags: valid SVG with accessible names, the labels and values, a data table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from members.templatetags import charts

SVG = "{http://www.w3.org/2000/svg}"


def _render(source: str, **context) -> str:
    with translation.override("en"):
        return Template("{% load charts %}" + source).render(Context(context))


def _svg(html: str) -> ET.Element:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, html
    return ET.fromstring(match.group(0))  # noqa: S314 - our own output; raises on malformed XML


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in svg.iter(f"{SVG}text")]


def test_bar_chart_is_valid_svg_with_labels_values_and_a_table():
    items = [
        {"label": "Chi bộ ấp Phước Hưng", "value": Decimal("66.7"), "url": "/members/dashboard/cell/1/"},
        {"label": "Chi bộ <ấp> & Hòa Bình", "value": 100},
    ]
    html = _render('{% bar_chart items title="Fee collection" unit="percent" max_value=100 %}', items=items)
    svg = _svg(html)
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}title").text == "Fee collection"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert "Chi bộ ấp Phước Hưng: 66.7%" in desc.text and "Chi bộ <ấp> & Hòa Bình: 100.0%" in desc.text
    texts = _texts(svg)
    assert "Chi bộ ấp Phước Hưng" in texts and "Chi bộ <ấp> & Hòa Bình" in texts  # escaped, then parsed back
    assert "66.7%" in texts and "100.0%" in texts
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] == pytest.approx(charts.WIDTH - charts.VALUE_SPACE)
    assert widths[0] == pytest.approx(widths[1] * 0.667, abs=0.01)
    assert all(b.find(f"{SVG}title") is not None for b in bars)
    assert svg.find(f"{SVG}a").get("href") == "/members/dashboard/cell/1/"
    assert "<table>" in html and "<caption>Fee collection</caption>" in html
    assert "<script" not in html and "<ấp>" not in html  # the label was escaped in the HTML


def test_stacked_bar_segments_sum_to_the_row():
    rows = [{"label": "Ấp Một", "values": [1, 3]}, {"label": "Ấp Hai", "values": [0, 2]}]
    series = [{"label": "Probationary", "color": "#e69f00"}, {"label": "Official", "color": "#a4161a"}]
    html = _render('{% stacked_bar rows series title="Members per cell" %}', rows=rows, series=series)
    svg = _svg(html)
    segments = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-segment"]
    assert len(segments) == 3  # a zero value draws nothing
    first_row = [float(s.get("width")) for s in segments[:2]]
    assert sum(first_row) == pytest.approx(charts.WIDTH - charts.VALUE_SPACE)  # the largest row fills the width
    assert first_row[1] == pytest.approx(3 * first_row[0])
    assert segments[0].get("fill") == "#e69f00"
    titles = [s.find(f"{SVG}title").text for s in segments]
    assert titles[0] == "Ấp Một — Probationary: 1 (25.0%)"
    assert "Ấp Hai" in _texts(svg) and "4" in _texts(svg)
    assert 'class="chart-legend"' in html and "Probationary" in html
    assert '<th scope="col">Official</th>' in html


def test_stacked_bar_in_percent_fills_every_row():
    rows = [{"label": "A", "values": [1, 1]}, {"label": "B", "values": [5, 15]}]
    svg = _svg(
        _render("{% stacked_bar rows series percent=True %}", rows=rows, series=[{"label": "x"}, {"label": "y"}])
    )
    segments = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-segment"]
    full = charts.WIDTH - charts.VALUE_SPACE
    assert segments[0] + segments[1] == pytest.approx(full) and segments[2] + segments[3] == pytest.approx(full)


def test_donut_shares_and_total():
    items = [{"label": "Official", "value": 3}, {"label": "Probationary", "value": 1}]
    html = _render('{% donut items title="Members by status" center_label="members" %}', items=items)
    svg = _svg(html)
    rings = [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "chart-segment"]
    assert len(rings) == 2
    lengths = [float(c.get("stroke-dasharray").split()[0]) for c in rings]
    assert lengths[0] == pytest.approx(3 * lengths[1], abs=0.05)
    assert float(rings[1].get("stroke-dashoffset")) == pytest.approx(-lengths[0], abs=0.02)
    assert rings[0].find(f"{SVG}title").text == "Official: 3 (75.0%)"
    assert "4" in _texts(svg) and "members" in _texts(svg)
    assert "Official: 3 (75.0%); Probationary: 1 (25.0%)" in svg.find(f"{SVG}desc").text


def test_money_and_vietnamese_formats():
    with translation.override("vi"):
        assert charts.format_value(1234000, "money") == "1.234.000 đ"
        assert charts.format_value(Decimal("66.66"), "percent") == "66,7%"
        assert charts.format_value(12500) == "12.500"
    with translation.override("en"):
        assert charts.format_value(1234000, "money") == "1,234,000 đ"


@pytest.mark.parametrize("tag", ["bar_chart items", "donut items", "stacked_bar items items"])
def test_empty_data_says_so(tag):
    html = _render("{% " + tag + ' title="Nothing" %}', items=[])
    assert "<svg" not in html and "No data yet." in html


def test_a_donut_of_zeros_is_still_valid():
    svg = _svg(_render("{% donut items %}", items=[{"label": "A", "value": 0}]))
    assert not [c for c in svg.iter(f"{SVG}circle") if c.get("class") == "chart-segment"]
    assert "0" in _texts(svg)
