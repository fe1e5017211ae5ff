"""Draw the ring icon: a `RingSpec` in, a Pillow image out. No files, clock or tray here.

Outer ring = 5-hour window, inner ring = weekly; arcs run clockwise from 12 o'clock over a faint track.
Every state has a shape cue as well as a colour (PEERS.md item 7: colour-only states and "the same look for
fresh and broken data" are what users hate), so the six looks differ at 16 px in greyscale too.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from tray.base.values import record
from tray.show.look import Level, Look, RingSpec, level_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # only `claude-tray render` writes files; the running tray never loads pathlib

SIZES = (16, 22, 24, 32, 64)

Rgba = tuple[int, int, int, int]
CLEAR: Rgba = (0, 0, 0, 0)

# Radii as fractions of half the icon. The rings are thick and the gap small because at 16 px every
# pixel counts; the centre keeps room for one glyph (level dot, pause bars, clock).
OUTER = (0.98, 0.68)  # outer ring: outer edge, inner edge
INNER = (0.58, 0.36)  # inner ring
CENTRE = 0.28  # radius the centre glyphs stay within
BLOCKED = 100  # at (or past) the limit: the no-entry cue
TICK = 0.10  # pace tick width
OUTLINE = (0.98, 0.84)  # signed out: one thin ring, nothing inside
SINGLE = (0.98, 0.54)  # one window chosen (`icon` setting): one ring as thick as both, the same centre
DASHES = {OUTER: 10, INNER: 7, OUTLINE: 8, SINGLE: 10}  # broken tracks for offline / signed out


@record
class Palette:
    """Colours for one kind of panel. Level hues follow Okabe–Ito (blue, amber, red-magenta) and are also
    spread in luminance, so deuteranopes and greyscale still see three steps."""

    ink: Rgba  # strongest contrast with the panel: ticks and glyphs
    track: Rgba  # the faint full circle behind each arc
    muted: Rgba  # hollow rings when there are no figures to show
    faded: Rgba  # what old figures fade toward: nearer the panel, so stale arcs lose contrast, not just hue
    normal: Rgba
    warning: Rgba
    critical: Rgba

    def level(self, level: Level) -> Rgba:
        return {Level.NORMAL: self.normal, Level.WARNING: self.warning, Level.CRITICAL: self.critical}[level]


THEMES = {
    # Dark panel: light strokes. Luma: normal ≈ 120, critical ≈ 150, warning ≈ 185; track ≈ 70 on a 37 panel.
    "dark": Palette(ink=(245, 245, 245, 255), track=(255, 255, 255, 40), muted=(150, 150, 150, 255),
                    faded=(96, 96, 96, 255),
                    normal=(40, 140, 235, 255), warning=(255, 186, 0, 255), critical=(255, 96, 150, 255)),
    # Light panel: dark strokes. Luma: critical ≈ 60, normal ≈ 90, warning ≈ 120; track ≈ 210 on a 237 panel.
    "light": Palette(ink=(24, 24, 24, 255), track=(0, 0, 0, 30), muted=(112, 112, 112, 255),
                     faded=(168, 168, 168, 255),
                     normal=(20, 104, 214, 255), warning=(184, 110, 0, 255), critical=(176, 0, 62, 255)),
    # Unknown surface (the app icon in a dock, launcher or README): mid tones that read on white and black.
    "neutral": Palette(ink=(96, 96, 96, 255), track=(128, 128, 128, 120), muted=(128, 128, 128, 255),
                       faded=(150, 150, 150, 255),
                       normal=(30, 128, 235, 255), warning=(240, 165, 0, 255), critical=(228, 40, 110, 255)),
}


# Typical panels: GNOME/Windows dark bars and macOS/Windows light bars sit near these.
PANELS = {"dark": (37, 37, 37), "light": (237, 237, 237)}

# What a reviewer needs to see: each level with its shape cue, pace ahead, no data, and every other look.
SAMPLES: tuple[tuple[str, RingSpec], ...] = (
    ("ok · normal 35/20", RingSpec(Look.OK, 35, 20, 0.5, 0.3)),
    ("ok · warning 78/45", RingSpec(Look.OK, 78, 45, 0.6, 0.5)),
    ("ok · critical 93/72, ahead", RingSpec(Look.OK, 93, 72, 0.7, 0.5, outer_ahead=True)),
    ("ok · 95/40 (not yet blocked)", RingSpec(Look.OK, 95, 40, 0.8, 0.6)),
    ("ok · blocked 100/40", RingSpec(Look.OK, 100, 40, 0.8, 0.6)),
    ("ok · over 130/100", RingSpec(Look.OK, 130, 100, 0.8, 0.6)),
    ("ok · 60/40 both ahead", RingSpec(Look.OK, 60, 40, 0.35, 0.2, True, True)),
    ("ok · no windows", RingSpec(Look.OK)),
    ("stale · 55/30", RingSpec(Look.STALE, 55, 30, 0.5, 0.4)),
    ("rate-limited · 100/62", RingSpec(Look.RATE_LIMITED, 100, 62, 0.6, 0.5)),
    ("offline · 40/25", RingSpec(Look.OFFLINE, 40, 25, 0.5, 0.3)),
    ("expired token", RingSpec(Look.EXPIRED, 40, 25)),
    ("signed out", RingSpec(Look.SIGNED_OUT)),
    # What the settings choose (SPEC §9): one window, remaining, and the digits for trays with no label.
    ("one window · Fable 91, auto", RingSpec(Look.OK, 91, None, 0.4, single=True)),
    ("one window · 5-hour 47", RingSpec(Look.OK, 47, None, 0.5, single=True)),
    ("remaining · 35/20 used", RingSpec(Look.OK, 35, 20, 0.5, 0.3, remaining=True)),
    ("remaining · 1 window, 91 used", RingSpec(Look.OK, 91, None, 0.4, single=True, remaining=True)),
    ("digits · 47 (two windows)", RingSpec(Look.OK, 47, 21, digits=True)),
    ("digits · 93", RingSpec(Look.OK, 93, None, single=True, digits=True)),
    ("digits · 100", RingSpec(Look.OK, 100, None, single=True, digits=True)),
    ("digits · 9 left (91 used)", RingSpec(Look.OK, 91, None, single=True, remaining=True, digits=True)),
)


def _dim(colour: Rgba, towards: Rgba, amount: float) -> Rgba:
    """Blend toward grey: stale figures keep their arc but lose their colour."""
    r, g, b, a = (round(x + (y - x) * amount) for x, y in zip(colour, towards))
    return (r, g, b, a)


class _Canvas:
    """One supersampled drawing surface with ring-aware primitives (angles in turns from 12 o'clock)."""

    def __init__(self, size: int, supersample: int) -> None:
        self.size, self.ss = size, supersample
        self.side = size * supersample
        self.image = Image.new("RGBA", (self.side, self.side), CLEAR)
        self.draw = ImageDraw.Draw(self.image)
        self.c = self.side / 2
        self.r = self.side / 2  # unit for every fraction above

    def _box(self, radius: float) -> tuple[float, float, float, float]:
        rr = radius * self.r
        return (self.c - rr, self.c - rr, self.c + rr - 1, self.c + rr - 1)

    def point(self, turns: float, radius: float) -> tuple[float, float]:
        angle = 2 * math.pi * turns - math.pi / 2
        return (self.c + radius * self.r * math.cos(angle), self.c + radius * self.r * math.sin(angle))

    def band(self, ring: tuple[float, float], fill: Rgba, start: float = 0.0, end: float = 1.0) -> None:
        width = max(1, round((ring[0] - ring[1]) * self.r))
        if end - start >= 1:
            self.draw.ellipse(self._box(ring[0]), outline=fill, width=width)
        elif end > start:
            self.draw.arc(self._box(ring[0]), 360 * start - 90, 360 * end - 90, fill=fill, width=width)

    def dashed(self, ring: tuple[float, float], fill: Rgba) -> None:
        # One band with radial gaps cut out: a dozen separate arcs cost more than the whole 2 ms budget.
        n = DASHES.get(ring, 10)
        self.band(ring, fill)
        gap = 2 * math.pi * ring[1] * 0.35 / n  # measured on the inner edge, where a straight cut is widest
        for i in range(n):
            turns = (i + 0.5) / n
            self.line(self.point(turns, ring[0] + 0.05), self.point(turns, ring[1] - 0.04), gap, CLEAR)

    def disc(self, radius: float, fill: Rgba, dx: float = 0.0, dy: float = 0.0) -> None:
        x, y, rr = self.c + dx * self.r, self.c + dy * self.r, radius * self.r
        self.draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=fill)

    def rect_px(self, x0: float, y0: float, x1: float, y1: float, fill: Rgba) -> None:
        """A rectangle in output pixels from the centre, snapped to whole pixels so bars stay crisp."""
        half, ss = self.size / 2, self.ss
        x0s, y0s, x1s, y1s = (math.floor(half + v + 0.5) * ss for v in (x0, y0, x1, y1))
        self.draw.rectangle((x0s, y0s, max(x1s, x0s + ss) - 1, max(y1s, y0s + ss) - 1), fill=fill)

    def line(self, a: tuple[float, float], b: tuple[float, float], width: float, fill: Rgba) -> None:
        self.draw.line((a, b), fill=fill, width=max(1, round(width * self.r)))

    def polygon(self, points: list[tuple[float, float]], fill: Rgba) -> None:
        self.draw.polygon(points, fill=fill)


def _fraction(percent: float | None) -> float:
    # Over 100 % is drawn as a full ring, never wrapped or clipped mid-way.
    return 0.0 if percent is None else min(max(percent, 0.0), 100.0) / 100.0


def _pace(cv: _Canvas, ring: tuple[float, float], pace: float | None, ahead: bool, ink: Rgba) -> None:
    if pace is None:
        return
    turns = min(max(pace, 0.0), 1.0)
    # The outer ring's tick reaches into the gap; the inner one stops at its edge, clear of the centre glyph.
    outer, inner = ring[0] - 0.02, ring[1] - (0.05 if ring is OUTER else 0.0)
    if not ahead:
        # A thin ink line with a clear halo: visible over the faint track and over a coloured arc alike.
        cv.line(cv.point(turns, outer), cv.point(turns, inner), TICK * 2.6, CLEAR)
        cv.line(cv.point(turns, outer), cv.point(turns, inner), TICK, ink)
        return
    # Ahead of pace: a wedge pointing at the centre, twice as wide as the tick, cut out of the ring around it.
    half = 0.17 / (2 * math.pi * ring[0])  # half the base, in turns
    tip = cv.point(turns, inner - 0.06)
    halo = [cv.point(turns - half * 1.8, outer + 0.04), cv.point(turns + half * 1.8, outer + 0.04),
            cv.point(turns, inner - 0.16)]
    cv.polygon(halo, CLEAR)
    cv.polygon([cv.point(turns - half, outer + 0.02), cv.point(turns + half, outer + 0.02), tip], ink)


def _level_cue(cv: _Canvas, spec: RingSpec, pal: Palette) -> None:
    """The shape that says how bad it is: nothing, a dot, a filled centre."""
    worst = max((p for p in (spec.outer, spec.inner) if p is not None), default=None)
    if worst is None:
        return
    level = level_of(worst)
    if worst >= BLOCKED:
        _no_entry(cv, pal)
    elif level is Level.WARNING:
        cv.disc(CENTRE * 0.55, pal.warning)
    elif level is Level.CRITICAL:
        cv.disc(CENTRE + 0.03, pal.critical)


def _no_entry(cv: _Canvas, pal: Palette) -> None:
    """At the limit ("blocked", SPEC §5): a no-entry sign — the critical disc, larger, with a clear bar across
    it in whole output pixels. At 22 px the 95 % look (a 1-px gap in the ring) and this differ by a glyph."""
    cv.disc(CENTRE + 0.07, pal.critical)
    half_w = max(2.0, cv.size * (CENTRE + 0.01) / 2)
    bar = max(1, round(cv.size * 0.07))
    cv.rect_px(-half_w, -bar / 2, half_w, bar / 2, pal.ink if pal.ink[0] > 128 else CLEAR)


def _figures(cv: _Canvas, spec: RingSpec, pal: Palette, *, dim: bool, broken: bool, thin: bool = False) -> None:
    rings = ((SINGLE, spec.outer, spec.outer_pace, spec.outer_ahead),) if spec.single else (
        (OUTER, spec.outer, spec.outer_pace, spec.outer_ahead), (INNER, spec.inner, spec.inner_pace, spec.inner_ahead))
    for ring, percent, pace, ahead in rings:
        if broken:
            cv.dashed(ring, pal.track)
        else:
            cv.band(ring, pal.track)
        if percent is not None:
            colour = pal.level(level_of(percent))
            if dim:
                colour = _dim(colour, pal.faded, 0.5)
            # Old figures (stale) are a thin line along the band, not the band: at 22 px a full band that is
            # only paler was hard to tell from a fresh one.
            band = (ring[0] - (ring[0] - ring[1]) * 0.3, ring[1] + (ring[0] - ring[1]) * 0.3) if thin else ring
            # Remaining: the arc is what is left, and the tick the time left, so "ahead" still reads as the arc
            # falling short of the tick. The colour (and the centre cue) still follow what is used.
            cv.band(band, colour, 0.0, 1.0 - _fraction(percent) if spec.remaining else _fraction(percent))
        if spec.remaining and pace is not None:
            pace = 1.0 - pace
        _pace(cv, ring, pace, ahead, pal.ink)


def _clock(cv: _Canvas, pal: Palette) -> None:
    face = CENTRE - 0.03  # a hair smaller than the centre, so the inner pace tick does not touch it
    cv.disc(face, pal.ink)
    cv.disc(face - 0.08, CLEAR)
    cv.line((cv.c, cv.c), cv.point(0.0, face - 0.1), 0.07, pal.ink)
    cv.line((cv.c, cv.c), cv.point(0.25, face - 0.12), 0.07, pal.ink)


def _pause(cv: _Canvas, pal: Palette) -> None:
    # Designed in whole output pixels: at 16 px two 1-px bars with a 2-px gap, which a fraction would blur.
    bar, gap = max(1, round(cv.size * 0.06)), 2 * max(1, round(cv.size * 0.035))
    tall = 2 * max(2, round(cv.size * 0.125))
    left = -(2 * bar + gap) / 2
    for x in (left, left + bar + gap):
        cv.rect_px(x, -tall / 2, x + bar, tall / 2, pal.ink)


def _slash(cv: _Canvas, pal: Palette) -> None:
    # Across the whole icon, cut out of what lies below so it reads as "broken", not as another arc.
    a, b = (cv.side * 0.14, cv.side * 0.14), (cv.side * 0.86, cv.side * 0.86)
    cv.line(a, b, 0.36, CLEAR)
    cv.line(a, b, 0.15, pal.ink)


def _exclamation(cv: _Canvas, pal: Palette) -> None:
    bar, tall = 2 * max(1, round(cv.size * 0.0625)), max(5, round(cv.size * 0.34))  # even: centred on even sizes
    top = -round(cv.size * 0.27)
    cv.rect_px(-bar / 2, top, bar / 2, top + tall, pal.ink)
    cv.rect_px(-bar / 2, top + tall + max(1, round(cv.size * 0.07)), bar / 2, round(cv.size * 0.27), pal.ink)


def render_ring(spec: RingSpec, size: int, *, theme: str = "dark",
                background: tuple[int, int, int] | None = None, supersample: int = 4) -> Image.Image:
    """The icon for `spec`, `size`×`size`. RGBA with transparency, or opaque RGB composited onto
    `background` (pystray's xorg backend drops alpha, so transparent pixels would turn black)."""
    pal = THEMES[theme]
    figure = spec.outer if spec.single else max((p for p in (spec.outer, spec.inner) if p is not None), default=None)
    if spec.digits and spec.look is Look.OK and figure is not None:
        return _with_background(_digits(spec, figure, size, pal), background)
    cv = _Canvas(size, max(1, supersample))
    look = spec.look
    if look is Look.SIGNED_OUT:
        cv.dashed(OUTLINE, pal.muted)
    elif look is Look.EXPIRED:
        cv.band(OUTER, pal.muted)
        _exclamation(cv, pal)
    else:
        # Rate-limited and offline figures fade too: no fetch gets through, so the reading is ageing.
        faded = look in (Look.STALE, Look.RATE_LIMITED, Look.OFFLINE)
        _figures(cv, spec, pal, dim=faded, broken=look is Look.OFFLINE, thin=look is Look.STALE)
        if look is Look.OK:
            _level_cue(cv, spec, pal)
        elif look is Look.STALE:
            _clock(cv, pal)
        elif look is Look.RATE_LIMITED:
            _pause(cv, pal)
        elif look is Look.OFFLINE:
            _slash(cv, pal)
    # reducing_gap: a box reduce to 2× first, then LANCZOS. Edges differ from a full LANCZOS by under 5 % alpha
    # (mean 0.2 %) at half the cost, which keeps a 64 px icon inside its 2 ms budget.
    image = cv.image
    if cv.side != size:
        image = image.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    if background is None:
        return image
    opaque = Image.new("RGB", (size, size), background)
    opaque.paste(image, mask=image)
    return opaque


def _digits(spec: RingSpec, used: float, size: int, pal: Palette) -> Image.Image:
    """The opt-in digits look (tray.show.digits): the figure the label would show, for hosts without one.
    Other looks keep their rings: their shape cue (clock, pause, slash) says more than a number."""
    from tray.show.digits import draw_digits, shown_number

    level = pal.level(level_of(used))
    fraction = _fraction(used)
    return draw_digits(size, shown_number(used, spec.remaining), ink=pal.ink if used < 70 else level, bar=level,
                       track=pal.track, fraction=1.0 - fraction if spec.remaining else fraction)


def _with_background(image: Image.Image, background: tuple[int, int, int] | None) -> Image.Image:
    if background is None:
        return image
    opaque = Image.new("RGB", image.size, background)
    opaque.paste(image, mask=image)
    return opaque


def render_to_file(path: Path, spec: RingSpec, size: int, *, theme: str = "dark") -> None:
    render_ring(spec, size, theme=theme).save(path, format="PNG")


def contact_sheet(sizes: tuple[int, ...] = SIZES) -> Image.Image:
    """Every sample at every size on a dark and a light panel, 1:1, plus the smallest size zoomed 4× with
    nearest neighbour, in colour and in greyscale: one picture to review the icon by."""
    from PIL import ImageFont  # only the contact sheet writes text; the tray never needs fonts

    font = ImageFont.load_default(size=13)
    small, zoom, pad = min(sizes), 4, 10
    cell = max(max(sizes), small * zoom) + pad
    label_w, head_h = 190, 44
    block: list[int | str] = [*sizes, f"{small} px x{zoom}", "greyscale"]
    block_w = len(block) * cell + pad
    foot_h = 46
    sheet = Image.new("RGB", (label_w + 2 * block_w, head_h + len(SAMPLES) * cell + foot_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for t, (theme, panel) in enumerate(PANELS.items()):
        x0 = label_w + t * block_w
        draw.rectangle((x0, 0, x0 + block_w - 4, sheet.height - foot_h), fill=panel)
        ink = THEMES[theme].ink[:3]
        draw.text((x0 + pad, 4), f"{theme} panel", fill=ink, font=font)
        for i, name in enumerate(block):
            draw.text((x0 + pad + i * cell, 22), f"{name} px" if isinstance(name, int) else name, fill=ink, font=font)
        for row, (_, spec) in enumerate(SAMPLES):
            y = head_h + row * cell
            for i, size in enumerate(sizes):
                sheet.paste(render_ring(spec, size, theme=theme, background=panel),
                            (x0 + pad + i * cell, y + (cell - pad - size) // 2))
            tiny = render_ring(spec, small, theme=theme, background=panel).resize(
                (small * zoom, small * zoom), Image.Resampling.NEAREST)
            sheet.paste(tiny, (x0 + pad + len(sizes) * cell, y))
            sheet.paste(tiny.convert("L"), (x0 + pad + (len(sizes) + 1) * cell, y))
    for row, (label, _) in enumerate(SAMPLES):
        draw.text((pad, head_h + row * cell + cell // 2 - 12), label, fill=(20, 20, 20), font=font)
    legend = ("outer ring = 5-hour, inner ring = weekly, clockwise from 12 o'clock · tick = time elapsed, "
              "wedge = usage ahead of it · centre: dot = warning (70 %), disc = critical (90 %)\n"
              "one window: one thick ring · remaining: the arc is what is left, the tick the time left · "
              "digits: the figure drawn from shapes, for trays with no label beside the icon")
    draw.text((pad, sheet.height - foot_h + 7), legend, fill=(20, 20, 20), font=font)
    return sheet
