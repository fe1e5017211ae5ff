"""At panel size, the limit looks like the limit and old figures look old (SPEC §5, issue 14)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops

from tray.show.look import Look, RingSpec
from tray.show.render import PANELS, render_ring


def on_panel(spec: RingSpec, size: int, theme: str) -> Image.Image:
    panel = Image.new("RGBA", (size, size), (*PANELS[theme], 255))
    panel.alpha_composite(render_ring(spec, size, theme=theme))
    return panel.convert("L")  # greyscale: the cue must survive without colour


def differing(a: Image.Image, b: Image.Image, at_least: int = 40) -> int:
    return sum(1 for v in ImageChops.difference(a, b).get_flattened_data() if v >= at_least)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("size", [16, 22, 24])
def test_at_the_limit_the_icon_differs_from_95_percent_by_a_glyph_not_a_pixel(theme: str, size: int) -> None:
    almost = on_panel(RingSpec(Look.OK, 95, 40, 0.5, 0.4), size, theme)
    blocked = on_panel(RingSpec(Look.OK, 100, 40, 0.5, 0.4), size, theme)
    # The 95 % ring's gap alone is ~1-2 pixels at 22 px; the no-entry bar adds a row of them in the centre.
    assert differing(almost, blocked) >= size // 3


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_stale_figures_at_22_px_differ_from_fresh_ones_along_the_whole_arc(theme: str) -> None:
    fresh = on_panel(RingSpec(Look.OK, 55, 30, 0.5, 0.4), 22, theme)
    stale = on_panel(RingSpec(Look.STALE, 55, 30, 0.5, 0.4), 22, theme)
    assert differing(fresh, stale, 30) >= 30
