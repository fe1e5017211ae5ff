"""Ring render time per size and look, against a bare Pillow ring of the same size (in-process)."""

from __future__ import annotations

import time

from common import Figure, Stats, paired
from PIL import Image, ImageDraw

from tray.show.look import Look, RingSpec
from tray.show.render import render_ring

SIZES = (16, 32, 64)
SPECS = {  # one typical picture per look
    Look.OK: RingSpec(Look.OK, 78, 45, 0.6, 0.5),
    Look.STALE: RingSpec(Look.STALE, 55, 30, 0.5, 0.4),
    Look.RATE_LIMITED: RingSpec(Look.RATE_LIMITED, 100, 62, 0.6, 0.5),
    Look.OFFLINE: RingSpec(Look.OFFLINE, 40, 25, 0.5, 0.3),
    Look.EXPIRED: RingSpec(Look.EXPIRED, 40, 25),
    Look.SIGNED_OUT: RingSpec(Look.SIGNED_OUT),
}
MAX_MS_AT_64 = 2.0


def bare_ring(size: int, supersample: int = 4) -> Image.Image:
    """The least a ring icon can be: two tracks and two arcs, supersampled and LANCZOS-reduced."""
    side = size * supersample
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for outer, width, percent in ((0.98, 0.30, 78), (0.58, 0.22, 45)):
        r = outer * side / 2
        box = (side / 2 - r, side / 2 - r, side / 2 + r - 1, side / 2 + r - 1)
        w = round(width * side / 2)
        draw.ellipse(box, outline=(255, 255, 255, 40), width=w)
        draw.arc(box, -90, -90 + 3.6 * percent, fill=(40, 140, 235, 255), width=w)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _per_call_ms(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) * 1000 / calls


def measure(repeats: int, calls: int = 20) -> list[Figure]:
    figures = []
    for size in SIZES:
        for look, spec in SPECS.items():
            render_ring(spec, size)  # warm: first calls load Pillow's drawing code
            bare_ring(size)
            subject, base = [], []
            for _ in range(repeats):  # interleaved batches: load spikes hit both
                subject.append(_per_call_ms(lambda s=spec, z=size: render_ring(s, z), calls))
                base.append(_per_call_ms(lambda z=size: bare_ring(z), calls))
            ratio = paired(subject, base)
            stats = Stats.of(subject)
            ok = ratio.median <= 1.5 and (size != 64 or stats.median <= MAX_MS_AT_64)
            figures.append(Figure(
                id=f"render_{size}_{look.value}", name=f"ring render {size} px, {look.value}", unit="ms",
                subject=stats, baseline_name=f"bare Pillow ring {size} px", baseline=Stats.of(base), ratio=ratio,
                target="<= 1.5x" + (f", <= {MAX_MS_AT_64} ms" if size == 64 else ""), meets=ok,
            ))
    return figures
