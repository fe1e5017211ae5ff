"""The themed icon an autostart entry names (`Icon=claude-tray`), for installs that bring none.

The .deb puts `claude-tray.png` into /usr/share/icons/hicolor; a pip or pipx install has only the Python
package, so `autostart enable` draws the app icon (the same one scripts/make_icons.py writes to icons/) into
`$XDG_DATA_HOME/icons/hicolor/<N>x<N>/apps/` first. If neither exists nor can be drawn, the entry leaves
`Icon=` out rather than name something nothing installs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from tray.errors import AutostartError

ICON_NAME = "claude-tray"
# hicolor sizes a panel or a startup-settings list asks for; 48 is the one everything falls back to.
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def icon_file(base: str, size: int) -> str:
    return os.path.join(base, "icons", "hicolor", f"{size}x{size}", "apps", f"{ICON_NAME}.png")


def installed_icon(data_home: str, data_dirs: str) -> str | None:
    """The hicolor base folder that already holds our icon (the user's first, as the theme looks), or None."""
    for base in (*([data_home] if data_home else []), *(d for d in data_dirs.split(":") if os.path.isabs(d))):
        if os.path.isfile(icon_file(base, 48)):
            return base
    return None


def ensure_icon(data_home: str | None, env: Mapping[str, str]) -> str | None:
    """`Icon=`'s value: ICON_NAME once the theme has it (installed, or drawn into `data_home` now), else None.
    Without a `data_home` nothing is drawn: only an icon already installed counts."""
    if installed_icon(data_home or "", env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"):
        return ICON_NAME
    if not data_home:
        return None
    try:
        from tray.desktop.autostart.files import write_atomically
        from tray.show.look import Look, RingSpec
        from tray.show.render import render_ring

        spec = RingSpec(Look.OK, outer=62, inner=34)  # scripts/make_icons.py's APP_SPEC: calm, on pace
        import io

        for size in SIZES:
            picture = render_ring(spec, size, theme="neutral", supersample=4 if size <= 128 else 2)
            data = io.BytesIO()
            picture.save(data, format="PNG")
            path = icon_file(data_home, size)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomically(path, data.getvalue())
    except (ImportError, OSError, AutostartError):  # no Pillow, or a read-only data folder: no icon
        return None
    return ICON_NAME
