"""Is sharing on, and where? (SPEC §9 `share_dir`, §10). Cheap to import: `status` and the status line ask it on
every run, and only when the answer is a folder do they load the rest of tray.share."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from tray.model.state import CachedState

ENV_SHARE_DIR = "CLAUDE_TRAY_SHARE_DIR"


def share_dir_of(env: Mapping[str, str], state: CachedState | None) -> str | None:
    """The share folder, or None when sharing is off: `CLAUDE_TRAY_SHARE_DIR` (`off` turns it off for this
    run), else the `share_dir` setting."""
    text = env.get(ENV_SHARE_DIR, "").strip()
    if not text:
        stored = getattr(state, "settings", None)
        if not stored or not stored.get("share_dir"):
            return None  # the default, off: no need to load the settings model
        from tray.store.settings import settings_of

        text = settings_of(state).share_dir or ""
    if not text or text.lower() == "off":
        return None
    return os.path.expanduser(text)
