"""pystray's gtk backend (GtkStatusIcon, XEmbed trays such as trayer and lxpanel) with a tooltip.

pystray 0.19.5 only sets the status icon's title, which XEmbed hosts never show (no tooltip on
trayer or lxpanel); GTK draws a tooltip for the icon itself when it has tooltip text.

The menu: pystray builds a new Gtk.Menu at every `update_menu`, the Settings submenu's ~30 widgets with it,
and the tray asks for one whenever a usage line changes (at every change of the figures). Here a menu of the
same shape keeps its widgets and only the changed lines are relabelled (they are inert: disabled, no action);
any other difference (an item's text, a check mark, an item more or less) builds it anew as pystray does.
"""

from __future__ import annotations

from pystray import Menu, _gtk
from pystray._util.gtk import mainloop

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Icon(_gtk.Icon):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._menu_shape: Any = None  # the shape of the menu last built (`_shape`); None: none built
        super().__init__(*args, **kwargs)
        self._status_icon.set_tooltip_text(self.title or self.name)

    @mainloop
    def _update_menu(self) -> None:
        items = _frozen(self.menu)  # pystray's Menu runs its item generator at each look: once here
        shape = _shape(items)
        built: Any = getattr(self, "_menu_handle", None)  # pystray sets it at the first build
        if built is not None and shape == self._menu_shape:
            _relabel(built, items)
            return
        self._menu_shape = shape
        self._menu_handle = self._create_menu(_Frozen(item for item, _ in items)) if items else None

    @mainloop
    def _update_title(self) -> None:
        self._status_icon.set_title(self.title)
        self._status_icon.set_tooltip_text(self.title or self.name)


class _Frozen(list):
    """A menu's items as once listed, in the form pystray's `_create_menu` walks (iterable, false when empty)."""


def _frozen(menu: Any) -> list[tuple[Any, Any]]:
    """(item, its submenu's items or None) for each visible item, each generator run once."""
    if not menu:
        return []
    return [(item, _frozen(item.submenu) if item.submenu else None) for item in menu]


def _inert(item: Any, submenu: Any) -> bool:
    """A line of text only: disabled, no submenu; activating it does nothing, so its label alone may change."""
    return submenu is None and item is not Menu.SEPARATOR and not item.enabled


def _shape(items: list[tuple[Any, Any]]) -> tuple[Any, ...]:
    """Everything a built menu shows or does but the labels of its inert lines."""
    return tuple(
        ("-",) if item is Menu.SEPARATOR else
        (None if _inert(item, sub) else item.text, item.checked, item.radio, item.enabled, item.default,
         None if sub is None else _shape(sub))
        for item, sub in items
    )


def _relabel(handle: Any, items: list[tuple[Any, Any]]) -> None:
    for widget, (item, sub) in zip(handle.get_children(), items):
        if sub is not None:
            _relabel(widget.get_submenu(), sub)
        elif _inert(item, sub) and widget.get_label() != item.text:
            widget.set_label(item.text)
