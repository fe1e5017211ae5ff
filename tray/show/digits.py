"""The figure as digits inside the icon, for hosts with no label beside it (Windows, XEmbed trays). Pillow only.

Drawn from shapes, never a font: a seven-segment face laid out in whole output pixels for each size, so it is
as crisp at 16 px as at 64 and looks the same on every system whatever fonts it has. Under the digits a bar
shows the same figure as a length (what is used, or what is left), coloured by level; the number itself
tells the level, so nothing depends on colour alone.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

Rgba = tuple[int, int, int, int]

# Segments a (top), b (top right), c (bottom right), d (bottom), e (bottom left), f (top left), g (middle).
SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc",
    "5": "afgcd", "6": "afgedc", "7": "abc", "8": "abcdefg", "9": "abcdfg",
}


def shown_number(used: float, remaining: bool) -> int:
    """The whole number the digits show: used rounded down, or what is left rounded up (as the menu counts)."""
    from tray.model.usage import whole_percent

    whole = max(0, whole_percent(used))
    return max(0, 100 - whole) if remaining else whole


def draw_digits(
    size: int, number: int, *, ink: Rgba, bar: Rgba, track: Rgba, fraction: float
) -> Image.Image:
    """An RGBA `size`×`size` image: `number` (0–999; above shows 999) in segments, a bar `fraction` (0–1) long."""
    text = str(min(max(number, 0), 999))
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    count = max(2, len(text))  # one digit takes a two-digit slot, centred: a "9" as wide as the icon reads oddly
    stroke = max(1, round(size / (8 if count <= 2 else 12)))
    gap = max(1, round(size / 16))  # between digits
    width = (size - (count - 1) * gap) // count
    bar_h = max(1, round(size / 10))
    # Height: top, middle and bottom strokes and two equal holes, leaving room for the bar beneath.
    hole = max(1, (size - bar_h - gap - 3 * stroke) // 2)
    height = 3 * stroke + 2 * hole
    used_w = count * width + (count - 1) * gap
    x0 = (size - used_w) // 2
    y0 = (size - (height + gap + bar_h)) // 2
    first = x0 + (count - len(text)) * (width + gap) // 2
    for i, char in enumerate(text):
        _digit(draw, char, first + i * (width + gap), y0, width, height, stroke, hole, ink)
    bar_y = y0 + height + gap
    draw.rectangle((x0, bar_y, x0 + used_w - 1, bar_y + bar_h - 1), fill=track)
    filled = round(used_w * min(max(fraction, 0.0), 1.0))
    if filled:
        draw.rectangle((x0, bar_y, x0 + filled - 1, bar_y + bar_h - 1), fill=bar)
    return image


def _digit(draw: ImageDraw.ImageDraw, char: str, x: int, y: int, w: int, h: int, t: int, hole: int,
           ink: Rgba) -> None:
    mid = y + t + hole
    boxes = {
        "a": (x, y, x + w, y + t), "d": (x, y + h - t, x + w, y + h), "g": (x, mid, x + w, mid + t),
        "f": (x, y, x + t, mid + t), "b": (x + w - t, y, x + w, mid + t),
        "e": (x, mid, x + t, y + h), "c": (x + w - t, mid, x + w, y + h),
    }
    chamfer = t // 3  # from 32 px on, segment ends are cut like a seven-segment display's; smaller stays square
    for seg in SEGMENTS[char]:
        x0, y0, x1, y1 = boxes[seg]
        if chamfer and seg in "adg":
            draw.polygon([(x0 + chamfer, y0), (x1 - chamfer, y0), (x1, y0 + t / 2), (x1 - chamfer, y1),
                          (x0 + chamfer, y1), (x0, y0 + t / 2)], fill=ink)
        elif chamfer:
            draw.polygon([(x0, y0 + chamfer), (x0 + t / 2, y0), (x1, y0 + chamfer), (x1, y1 - chamfer),
                          (x0 + t / 2, y1), (x0, y1 - chamfer)], fill=ink)
        else:
            draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=ink)
