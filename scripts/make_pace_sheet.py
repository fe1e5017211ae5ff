"""Draw icons/pace-cue-sheet.png: the pace cue at 16, 22, 32 and 64 px on a dark and a light panel.

Rows: usage behind the elapsed-time tick, on it, and ahead of it by more than the margin (tray.show.view.PACE_MARGIN),
where the tick turns into the warning wedge; on the outer (5-hour) ring, the inner (weekly) ring and both.
The 16 px icon is repeated 4× enlarged (nearest neighbour) and in greyscale, where the cue must still read.

    .venv/bin/python scripts/make_pace_sheet.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tray.show.look import Look, RingSpec  # noqa: E402
from tray.show.render import PANELS, THEMES, render_ring  # noqa: E402
from tray.show.view import PACE_MARGIN  # noqa: E402

SIZES = (16, 22, 32, 64)
ZOOM = 4


def _spec(outer: float, outer_pace: float, inner: float, inner_pace: float) -> RingSpec:
    """The ring as `tray.show.view.ring_spec` would build it: ahead when usage leads elapsed time by the margin."""
    return RingSpec(
        Look.OK, outer, inner, outer_pace, inner_pace,
        outer_ahead=outer / 100 > outer_pace + PACE_MARGIN,
        inner_ahead=inner / 100 > inner_pace + PACE_MARGIN,
    )


ROWS: tuple[tuple[str, RingSpec], ...] = (
    ("behind: 5h 30% at 50% elapsed", _spec(30, 0.50, 20, 0.40)),
    ("on pace: 5h 50% at 50%", _spec(50, 0.50, 40, 0.40)),
    ("just inside margin: 5h 59% at 50%", _spec(59, 0.50, 40, 0.40)),
    ("ahead: 5h 65% at 50%", _spec(65, 0.50, 40, 0.40)),
    ("ahead, critical: 5h 92% at 60%", _spec(92, 0.60, 40, 0.40)),
    ("weekly ahead: 7d 55% at 30%", _spec(35, 0.50, 55, 0.30)),
    ("both ahead: 5h 45%/20%, 7d 40%/15%", _spec(45, 0.20, 40, 0.15)),
    ("early ahead: 5h 18% at 5%", _spec(18, 0.05, 10, 0.02)),
)


def pace_sheet() -> Image.Image:
    font = ImageFont.load_default(size=13)
    pad, label_w, head_h, foot_h = 10, 250, 44, 28
    cell = max(max(SIZES), SIZES[0] * ZOOM) + pad
    block = [f"{s} px" for s in SIZES] + [f"{SIZES[0]} px x{ZOOM}", "greyscale"]
    block_w = len(block) * cell + pad
    sheet = Image.new("RGB", (label_w + 2 * block_w, head_h + len(ROWS) * cell + foot_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for t, (theme, panel) in enumerate(PANELS.items()):
        x0 = label_w + t * block_w
        ink = THEMES[theme].ink[:3]
        draw.rectangle((x0, 0, x0 + block_w - 4, sheet.height - foot_h), fill=panel)
        draw.text((x0 + pad, 4), f"{theme} panel", fill=ink, font=font)
        for i, name in enumerate(block):
            draw.text((x0 + pad + i * cell, 22), name, fill=ink, font=font)
        for row, (_, spec) in enumerate(ROWS):
            y = head_h + row * cell
            for i, size in enumerate(SIZES):
                icon = render_ring(spec, size, theme=theme, background=panel)
                sheet.paste(icon, (x0 + pad + i * cell, y + (cell - pad - size) // 2))
            tiny = render_ring(spec, SIZES[0], theme=theme, background=panel).resize(
                (SIZES[0] * ZOOM, SIZES[0] * ZOOM), Image.Resampling.NEAREST)
            sheet.paste(tiny, (x0 + pad + len(SIZES) * cell, y))
            sheet.paste(tiny.convert("L"), (x0 + pad + (len(SIZES) + 1) * cell, y))
    for row, (label, _) in enumerate(ROWS):
        draw.text((pad, head_h + row * cell + cell // 2 - 12), label, fill=(20, 20, 20), font=font)
    legend = (f"tick = share of the window elapsed; usage more than {PACE_MARGIN:.0%} ahead of it turns the tick "
              "into a wedge pointing at the centre (outer ring 5-hour, inner ring weekly)")
    draw.text((pad, sheet.height - foot_h + 7), legend, fill=(20, 20, 20), font=font)
    return sheet


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "icons" / "pace-cue-sheet.png"
    pace_sheet().save(out, format="PNG", optimize=True)
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
