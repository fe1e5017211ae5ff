"""pystray's gtk backend (GtkStatusIcon, XEmbed trays such as trayer and lxpanel) with a tooltip.

pystray 0.19.5 only sets the status icon's title, which XEmbed hosts never show (no tooltip on
trayer or lxpanel); GTK draws a tooltip for the icon itself when it has tooltip text.
"""

from __future__ import annotations

from pystray import _gtk
from pystray._util.gtk import mainloop

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Icon(_gtk.Icon):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._status_icon.set_tooltip_text(self.title or self.name)

    @mainloop
    def _update_title(self) -> None:
        self._status_icon.set_title(self.title)
        self._status_icon.set_tooltip_text(self.title or self.name)
