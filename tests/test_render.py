"""The ring icon as a user sees it: sizes, panels, what each ring shows, and that states differ in grey."""

from __future__ import annotations

import importlib.util
import math
from itertools import combinations
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from tray.show.look import Look, RingSpec
from tray.show.render import OUTER, PANELS, SIZES, THEMES, render_ring, render_to_file

ROOT = Path(__file__).resolve().parents[1]
DARK = PANELS["dark"]


def grey(spec: RingSpec, size: int = 16, theme: str = "dark") -> Image.Image:
    return render_ring(spec, size, theme=theme, background=PANELS[theme]).convert("L")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def outer_ring_at_three_oclock(image: Image.Image) -> tuple[int, ...]:
    half = image.width / 2
    radius = (OUTER[0] + OUTER[1]) / 2 * half
    return image.getpixel((math.floor(half + radius), math.floor(half)))


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


@pytest.mark.parametrize("theme", sorted(PANELS))
@pytest.mark.parametrize("size", SIZES)
def test_every_look_is_exactly_the_requested_size_with_or_without_a_panel(size: int, theme: str) -> None:
    for look in Look:
        spec = RingSpec(look, 47, 21, 0.5, 0.3)
        transparent = render_ring(spec, size, theme=theme)
        opaque = render_ring(spec, size, theme=theme, background=PANELS[theme])
        assert (transparent.size, transparent.mode) == ((size, size), "RGBA")
        assert (opaque.size, opaque.mode) == ((size, size), "RGB")


def test_transparent_icon_is_clear_in_the_corners() -> None:
    image = render_ring(RingSpec(Look.OK, 100, 100), 32)
    assert image.getpixel((0, 0))[3] == 0


def test_opaque_icon_for_xorg_has_no_alpha_and_shows_the_panel_in_the_corners() -> None:
    panel = (10, 120, 30)
    image = render_ring(RingSpec(Look.OFFLINE, 100, 100), 22, background=panel)
    assert "A" not in image.getbands()
    corners = [(0, 0), (21, 0), (0, 21), (21, 21)]
    assert [image.getpixel(c) for c in corners] == [panel] * 4


def test_outer_ring_is_coloured_at_three_oclock_only_once_the_five_hour_window_passes_a_quarter() -> None:
    track_only = outer_ring_at_three_oclock(render_ring(RingSpec(Look.OK, outer=10), 64, background=DARK))
    coloured = outer_ring_at_three_oclock(render_ring(RingSpec(Look.OK, outer=30), 64, background=DARK))
    assert close(coloured, THEMES["dark"].normal[:3])
    assert not close(track_only, THEMES["dark"].normal[:3], tolerance=60)
    assert track_only[0] == track_only[1] == track_only[2]  # the grey track, no hue


def test_six_looks_are_pairwise_distinct_at_16px_in_greyscale_on_both_panels() -> None:
    # Same figures for every look, so only the look's own cue can make the difference.
    for theme in PANELS:
        images = {look: grey(RingSpec(look, 55, 30, 0.5, 0.4), theme=theme) for look in Look}
        for a, b in combinations(Look, 2):
            assert mean_difference(images[a], images[b]) > 5, f"{a.value} vs {b.value} on {theme}"


def test_levels_differ_in_the_centre_in_greyscale_not_only_in_hue() -> None:
    for theme in PANELS:
        centres = [ImageStat.Stat(grey(RingSpec(Look.OK, p, 10), theme=theme).crop((6, 6, 10, 10))).mean[0]
                   for p in (50, 80, 95)]  # normal, warning, critical
        for a, b in combinations(centres, 2):
            assert abs(a - b) > 20, f"{centres} on {theme}"


def test_over_100_percent_draws_the_same_full_ring_as_100() -> None:
    for size in (16, 64):
        full = render_ring(RingSpec(Look.OK, 100, 100), size)
        over = render_ring(RingSpec(Look.OK, 150, 1000), size)
        assert ImageChops.difference(full, over).getbbox() is None


def test_negative_percent_draws_no_arc_and_does_not_raise() -> None:
    empty = render_ring(RingSpec(Look.OK, 0, 0), 32)
    assert ImageChops.difference(empty, render_ring(RingSpec(Look.OK, -5, -1), 32)).getbbox() is None


def test_missing_windows_draw_only_the_grey_tracks() -> None:
    image = render_ring(RingSpec(Look.OK, None, None), 32, background=DARK)
    hues = {max(p) - min(p) for _, p in image.getcolors(maxcolors=image.width * image.height)}
    assert hues == {0}  # nothing coloured anywhere
    assert outer_ring_at_three_oclock(image) != DARK  # but the track is there


def test_render_to_file_writes_a_png_that_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "ring.png"
    render_to_file(target, RingSpec(Look.STALE, 47, 21), 24, theme="light")
    with Image.open(target) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (24, 24), "RGBA")


def test_make_icons_writes_app_icons_an_ico_with_every_size_and_every_look(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    assert make_icons.main(tmp_path) == 0
    with Image.open(tmp_path / "claude-tray-512.png") as app:
        assert app.size == (512, 512)
    with Image.open(tmp_path / "claude-tray.ico") as ico:
        assert {s[0] for s in ico.info["sizes"]} == {16, 24, 32, 48, 64, 128, 256}
    assert len(list((tmp_path / "looks").glob("*.png"))) == len(Look) * 2 * len(SIZES)
    assert (tmp_path / "contact-sheet.png").stat().st_size > 0
