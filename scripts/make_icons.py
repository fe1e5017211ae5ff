"""Write the committed icons: app icon sizes, .ico, .icns, the six looks, and a contact sheet to review.

Run from the repository root: `.venv/bin/python scripts/make_icons.py [OUT_DIR]` (default `icons/`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, not installed

from tray.show.look import Look, RingSpec
from tray.show.render import SIZES, contact_sheet, render_ring, render_to_file

APP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # ICO stops at 256
# The app icon: a calm, representative reading (both windows in use, on pace) rather than an alarm.
APP_SPEC = RingSpec(Look.OK, outer=62, inner=34)
LOOK_OK = RingSpec(Look.OK, outer=62, inner=34, outer_pace=0.7, inner_pace=0.45)
# Each look with figures where the look shows them, so the files match what the tray really draws.
LOOK_SPECS = {
    Look.OK: LOOK_OK,
    Look.STALE: RingSpec(Look.STALE, 55, 30, 0.5, 0.4),
    Look.RATE_LIMITED: RingSpec(Look.RATE_LIMITED, 100, 62, 0.6, 0.5),
    Look.OFFLINE: RingSpec(Look.OFFLINE, 40, 25, 0.5, 0.3),
    Look.EXPIRED: RingSpec(Look.EXPIRED),
    Look.SIGNED_OUT: RingSpec(Look.SIGNED_OUT),
}


def app_icon(size: int) -> Image.Image:
    # No pace ticks: at launcher sizes they read as stray bars. 4× supersampling up to 128 px; past that 2× is
    # already finer than a screen shows.
    return render_ring(APP_SPEC, size, theme="neutral", supersample=4 if size <= 128 else 2)


def main(out: Path) -> int:
    looks = out / "looks"
    looks.mkdir(parents=True, exist_ok=True)
    images = {size: app_icon(size) for size in APP_SIZES}
    for size, image in images.items():
        image.save(out / f"claude-tray-{size}.png")
    ico = [images[s] for s in ICO_SIZES]
    # Each size drawn at that size, not one image scaled down: 16 px stays crisp.
    ico[-1].save(out / "claude-tray.ico", sizes=[im.size for im in ico], append_images=ico[:-1])
    try:
        images[512].save(out / "claude-tray.icns", append_images=[images[s] for s in (16, 32, 64, 128, 256)])
    except (OSError, KeyError, ValueError) as e:
        print(f"note: skipped claude-tray.icns, Pillow could not write it here ({e})")
    for look, spec in LOOK_SPECS.items():
        for theme in ("dark", "light"):
            for size in SIZES:
                render_to_file(looks / f"{look.value}-{theme}-{size}.png", spec, size, theme=theme)
    contact_sheet().save(out / "contact-sheet.png", optimize=True)
    print(f"wrote {len(APP_SIZES)} app icons, .ico, .icns, {len(LOOK_SPECS) * 2 * len(SIZES)} looks and "
          f"contact-sheet.png to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "icons"))
