"""Every text colour in the stylesheets against the background it is drawn on: WCAG 2
contrast of at least 4.5:1, computed from the CSS itself (custom properties resolved,
translucent backgrounds composited over what lies beneath)."""

from __future__ import annotations

import re

import pytest

from outsidein.web import charts
from outsidein.web.templating import STATIC_DIR

MINIMUM = 4.5
SHEETS = ("app.css", "metrics.css")
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
# Rules drawn on the dark header rather than the page.
ON_HEADER = re.compile(r"topbar|brand|mainnav|subnav|apilink")


def rgb(value: str, variables: dict[str, str]) -> tuple[float, float, float, float] | None:
    """A colour as (r, g, b, alpha), or None for what is not one colour (inherit, mixes)."""
    value = value.strip()
    while (ref := re.fullmatch(r"var\((--[\w-]+)\)", value)) is not None:
        value = variables[ref.group(1)]
    if value in ("#fff", "white"):
        value = "#ffffff"
    if m := re.fullmatch(r"#([0-9a-fA-F]{6})", value):
        h = m.group(1)
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0)
    if m := re.fullmatch(r"rgba\((\d+),\s*(\d+),\s*(\d+),\s*([\d.]+)\)", value):
        return (float(m[1]), float(m[2]), float(m[3]), float(m[4]))
    return None


def over(top: tuple[float, ...], under: tuple[float, ...]) -> tuple[float, ...]:
    a = top[3]
    return (*(top[i] * a + under[i] * (1 - a) for i in range(3)), 1.0)


def luminance(c: tuple[float, ...]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def pairs() -> list[tuple[str, str, str, float]]:
    """(sheet and selector, text colour, background, contrast) for every rule setting a colour."""
    css = "\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in SHEETS)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = [(sel.strip(), dict(_declarations(body))) for sel, body in RULE.findall(css)]
    variables = {k: v for sel, decl in rules if sel == ":root" for k, v in decl.items()}
    page = rgb(variables["--bg"], variables)
    surface = rgb(variables["--surface"], variables)
    header = rgb(variables["--header"], variables)
    assert page and surface and header
    found = []
    for selector, decl in rules:
        text = rgb(decl.get("color", ""), variables)
        if text is None:
            continue
        beneath = [header] if ON_HEADER.search(selector) else [page, surface]
        own = rgb(decl.get("background", decl.get("background-color", "")), variables)
        for under in beneath:
            back = over(own, under) if own else under
            found.append((selector, decl["color"], str(back), contrast(over(text, back), back)))
    return found


def _declarations(body: str) -> list[tuple[str, str]]:
    return [
        (k.strip(), v.strip())
        for k, _, v in (d.partition(":") for d in body.split(";"))
        if v.strip()
    ]


def test_the_stylesheets_set_text_colours() -> None:
    found = pairs()
    assert len(found) > 40  # the parser read the sheets, not nothing
    assert any(sel.startswith("table.heatmap td.h10") for sel, *_ in found)


@pytest.mark.parametrize("selector, colour, background, ratio", pairs())
def test_text_contrast(selector: str, colour: str, background: str, ratio: float) -> None:
    assert ratio >= MINIMUM, f"{selector}: {colour} on {background} is {ratio:.2f}:1"


def test_chart_text_contrast() -> None:
    """Axis labels and legends of every chart, on the white card they sit on."""
    white = (255.0, 255.0, 255.0, 1.0)
    for colour in (charts.MUTED, charts.TEXT):
        shade = rgb(colour, {})
        assert shade is not None and contrast(shade, white) >= MINIMUM, colour


def test_contrast_formula() -> None:
    """WCAG's own reference points: black on white 21:1, #767676 on white 4.54:1."""
    white, black = (255.0, 255.0, 255.0, 1.0), (0.0, 0.0, 0.0, 1.0)
    assert round(contrast(black, white), 2) == 21.0
    assert round(contrast((118.0, 118.0, 118.0, 1.0), white), 2) == 4.54
