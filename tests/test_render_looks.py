"""The looks the settings choose (SPEC §9): one window as one ring, remaining arcs, digits drawn from shapes."""

from __future__ import annotations

import math

from PIL import Image

from tray.show.look import Look, RingSpec
from tray.show.render import THEMES, render_ring

DARK = (37, 37, 37)


def alpha_at(image: Image.Image, turns: float, radius: float) -> int:
    """Alpha of the pixel `radius` (fraction of half the icon) from the centre, `turns` clockwise from 12."""
    half = image.width / 2
    angle = 2 * math.pi * turns - math.pi / 2
    return image.getpixel((int(half + radius * half * math.cos(angle)), int(half + radius * half * math.sin(angle))))[3]


def test_one_window_is_one_thick_ring_not_two_rings_with_one_empty():
    single = render_ring(RingSpec(Look.OK, 60, None, single=True), 64)
    pair = render_ring(RingSpec(Look.OK, 60, None), 64)
    # Between the two rings of the pair lies a clear gap; the single ring is solid across it.
    assert alpha_at(pair, 0.25, 0.63) == 0
    assert alpha_at(single, 0.25, 0.63) == 255
    # The pair's empty inner ring still draws its track; the single ring has nothing there but its centre.
    assert alpha_at(pair, 0.75, 0.47) > 0
    assert alpha_at(single, 0.75, 0.47) > 0  # its arc: 60 % reaches past 9 o'clock
    assert alpha_at(single, 0.25, 0.40) == 0


def test_remaining_draws_what_is_left_and_keeps_the_level_cue_of_what_is_used():
    used = render_ring(RingSpec(Look.OK, 93, None, single=True), 64, background=DARK)
    left = render_ring(RingSpec(Look.OK, 93, None, single=True, remaining=True), 64, background=DARK)

    def coloured(image: Image.Image, turns: float) -> bool:
        half = image.width / 2
        angle = 2 * math.pi * turns - math.pi / 2
        r, g, b = image.getpixel((int(half + 0.8 * half * math.cos(angle)), int(half + 0.8 * half * math.sin(angle))))
        return max(r, g, b) - min(r, g, b) > 60

    assert coloured(used, 0.5) and not coloured(left, 0.5)  # 7 % left: the arc stops near 12 o'clock
    assert coloured(left, 0.03)
    assert used.getpixel((32, 32)) == left.getpixel((32, 32))  # the critical disc in the centre: still critical


def test_digits_are_crisp_at_16_px_and_the_same_on_every_system():
    image = render_ring(RingSpec(Look.OK, 47, 21, digits=True), 16)
    alphas = [a for *_rgb, a in image.getdata()]
    track = THEMES["dark"].track[3]  # the bar's faint track is see-through on purpose
    assert sum(1 for a in alphas if a not in (0, track, 255)) == 0  # whole pixels only: no font, no blur
    assert sum(1 for a in alphas if a == 255) >= 40
    assert render_ring(RingSpec(Look.OK, 47.9, 21, digits=True), 16).tobytes() == image.tobytes()  # 47 either way
    assert render_ring(RingSpec(Look.OK, 48, 21, digits=True), 16).tobytes() != image.tobytes()


def test_digits_count_what_is_left_in_remaining_mode_and_give_way_to_state_cues():
    used = render_ring(RingSpec(Look.OK, 91, None, single=True, digits=True), 32)
    left = render_ring(RingSpec(Look.OK, 9, None, single=True, digits=True), 32)
    left_of_91 = render_ring(RingSpec(Look.OK, 91, None, single=True, remaining=True, digits=True), 32)
    assert used.tobytes() != left_of_91.tobytes()
    # "9" both, drawn alike; only the bar (its length and colour) differs.
    assert left.crop((0, 0, 32, 24)).convert("L").point(lambda v: 255 if v else 0).getbbox() == \
        left_of_91.crop((0, 0, 32, 24)).convert("L").point(lambda v: 255 if v else 0).getbbox()
    stale = render_ring(RingSpec(Look.STALE, 91, None, 0.5, single=True, digits=True), 32)
    assert stale.tobytes() == render_ring(RingSpec(Look.STALE, 91, None, 0.5, single=True), 32).tobytes()
