"""The tray: a minute tick that redraws from the cache and fetches through the gate on a worker thread.

Thread rules: `Icon.run()` owns the main thread (required on macOS). The tick runs on the scheduler
thread and only reads the cache, renders and hands pystray a new image when the picture changed; the
network is touched only by the worker thread, so the UI never waits on it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone

from tray.base.filememo import FileMemo
from tray.base.values import replace
from tray.errors import TrayError
from tray.show.look import RingSpec
from tray.show.view import MenuView, build_view
from tray.store.reader import SETTLE_NS, CacheReader
from tray.store.settings import DEFAULTS, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # never at run time: the running tray keeps pathlib out of its memory (~0.8 MB of RSS)
    from typing import Any

log = logging.getLogger("claude-tray")

ICON_SIZE = 64
QUIT_DEADLINE_S = 2.0
XORG_BACKGROUND = {"dark": (40, 40, 40), "light": (236, 236, 236)}


def make_clock(env: Mapping[str, str]) -> Callable[[], datetime]:
    """The wall clock, or simulated time moving CLAUDE_TRAY_TIME_STEP seconds a tick (soak tests live a week)."""
    try:
        step = float(env.get("CLAUDE_TRAY_TIME_STEP", "") or 0.0)
    except ValueError:
        step = 0.0
    if not step > 0:
        return lambda: datetime.now(timezone.utc)
    return SteppedClock(datetime.now(timezone.utc), step)


class SteppedClock:
    """Simulated time: `now` moves on by `step` seconds at each `advance`. The runner advances it at a tick
    only once the worker is done with the fetch the last tick asked for, so a simulated day holds the same
    ticks and requests on a fast machine and on a loaded one (soak tests)."""

    def __init__(self, start: datetime, step: float) -> None:
        self.now, self.step = start, timedelta(seconds=step)

    def __call__(self) -> datetime:
        return self.now

    def advance(self) -> None:
        self.now += self.step


PACE_STEPS = 200  # a 64 px ring is ~190 px round: finer pace steps would redraw identical pictures


def quantized(ring: RingSpec) -> RingSpec:
    """The ring as it can be seen: pace ticks snapped to what a pixel shows, so an unchanged picture is not resent."""

    def snap(pace: float | None) -> float | None:
        return None if pace is None else round(pace * PACE_STEPS) / PACE_STEPS

    return replace(ring, outer_pace=snap(ring.outer_pace), inner_pace=snap(ring.inner_pace))


class TrayApp:
    """Everything the tray does, given an `icon` object with pystray's interface (tests pass a stand-in)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        cache_file: Path | str,
        base_interval: float,
        clock: Callable[[], datetime],
        label: str | None = None,
        quiet_hours: Any = None,
        theme: str = "dark",
        opaque: bool = False,
        exit_process: Callable[[int], Any] = os._exit,
    ) -> None:
        self.env = env
        self.cache_file = cache_file
        self.base_interval = base_interval
        self.clock = clock
        self.label = label
        self.quiet_hours = quiet_hours
        self.theme = theme
        self.opaque = opaque
        self.exit_process = exit_process
        self.icon: Any = None
        self._cache_mark: tuple[int, ...] | None = ()  # the cache file's (mtime, size, inode); () unseen
        self._share_mark: tuple[int, ...] | None = ()  # the share folder's, when sharing is on (SPEC §10)
        self._announce_lock = threading.Lock()
        self._announced: set[tuple[str, int]] = set()  # (period key, threshold) this process has shown
        self.notifier: Any = None  # a DbusNotifier on Linux; None: pystray's own notify
        self.view: MenuView | None = None
        self._ring: RingSpec | None = None
        self._jobs: queue.Queue[bool] = queue.Queue()
        self._pending = threading.Event()
        self._busy = False  # the worker is running a fetch
        self._write_lock = threading.Lock()  # held by cache writes only (quit waits for one in flight), never a request
        self.credentials_problem: str | None = None  # as the worker last read them (the tick never reads them)
        # The cache's last parse and our section through foreign rewrites (SPEC §3), for the tick and the worker
        # (tray/store/reader.py); Claude Code's file read again only when it changed (tray/base/filememo.py).
        self.reader = CacheReader()
        self.files = FileMemo()
        self.ui_lock = threading.Lock()  # xorg updates the X connection from the calling thread: one at a time
        self.stopping = threading.Event()
        self.autostart_enabled = False
        self.tick_started: float | None = None  # time.monotonic() of the tick in progress (the watchdog reads it)
        # Settings (SPEC §9), taken from the cache at every redraw (tray/desktop/settings_menu.py).
        self.settings: Settings = DEFAULTS
        self.stored_settings: dict[str, str] | None = None  # as last read: put back after a foreign rewrite
        self.interval_fixed = False  # --interval or CLAUDE_TRAY_INTERVAL given: the setting waits for the next run
        self.last_state: Any = None
        self._label_text = ""
        # The inotify watch on the cache while it runs (tray/desktop/watch.py, set by session.watch_cache): then a
        # redraw with no change seen reuses the last read (mark before the read, whether it was racy, the state).
        self.watch: Any = None
        self._read: tuple[tuple[int, ...], bool, Any] | None = None

    # --- the tick -------------------------------------------------------------------------
    def tick(self) -> None:
        """Redraw from the cache and ask the worker for a fetch; never touches the network itself."""
        if self.stopping.is_set():
            return
        self.tick_started = time.monotonic()
        try:
            self.redraw()
        finally:
            self.tick_started = None
        if not self._pending.is_set():
            self._pending.set()
            self._jobs.put(False)

    def redraw(self) -> MenuView:
        now = self.clock()
        # After oh-my-claude's whole-file rewrite: our section back from memory, its fresh `pro` taken in.
        self.reader.keep(self.cache_file, now, write=self._locked_write)
        # The mark first: a change between it and the read below is seen by the next follow_cache, and one before
        # it is in this read (a `config set` right after start-up must not wait for the next tick).
        mark = self._cache_mark = self.cache_mark()
        state = self._as_last_read(mark)
        if state is None:  # whole: the notifications look back through the history
            started = time.time_ns()
            state = self.reader.read_state(self.cache_file)
            if mark is not None:
                self._read = (mark, started - mark[0] <= SETTLE_NS, state)
        from tray.desktop import settings_menu

        settings = settings_menu.follow(self, state, now)
        self.last_state = state
        view = build_view(state, now, credentials_problem=self.credentials_problem, label=self.label,
                          settings=settings)
        self._push(view)
        self._announce(state, view, now)
        return view

    def _as_last_read(self, mark: tuple[int, ...] | None) -> Any:
        """The state of the last read while the file is as it was then, else None (read it again).

        The same mark proves it when the read came well after the file's last write (SETTLE_NS: a coarse file
        clock can give a rewrite in the same step the same mark); for a read that close, only the watch can: it
        sees every write. So a tick after the watch's redraw of a new write parses nothing (an 8-day cache
        takes milliseconds to parse), and neither does the share check after it."""
        read = self._read
        if read is None or mark is None or read[0] != mark:
            return None
        if read[1] and (self.watch is None or self.watch.changed.is_set()):
            return None
        return read[2]

    def cache_state(self) -> Any:
        """The cache as now: the last read while it is unchanged since (`_as_last_read`), else read afresh."""
        state = self._as_last_read(self.cache_mark())
        return state if state is not None else self.reader.read_state(self.cache_file)

    def debug_text(self) -> str:
        """The "Show debug error" text as of now, from the whole cache (the history names the last reset)."""
        from tray.share import link as share
        from tray.show.debugtext import debug_text

        now = self.clock()
        state = self.reader.read_state(self.cache_file)
        found = share.share_of(self.env, state, self.files)
        notes = share.notes(share.scan(found, now), now) if found is not None else []
        return debug_text(state, now, credentials_problem=self.credentials_problem, share_notes=notes)

    def _push(self, view: MenuView) -> None:
        with self.ui_lock:
            self._push_locked(view)

    def _push_locked(self, view: MenuView) -> None:
        icon, previous = self.icon, self.view
        self.view = view
        if icon is None or self.stopping.is_set():
            return
        from tray.desktop import settings_menu

        ring = settings_menu.ring_for_host(self, quantized(view.ring))
        if ring != self._ring:  # setting icon.icon costs a dock request (and a temp file on gtk)
            icon.icon = self.image_for(ring)
            self._ring = ring
        if previous is None or view.title != previous.title:
            icon.title = view.title
        if view.label != self._label_text and settings_menu.show_label(icon, view.label):
            self._label_text = view.label
        if previous is None or (view.lines, view.status_line) != (previous.lines, previous.status_line):
            icon.update_menu()

    def create_icon(self, pystray: Any, icon_class: Any = None) -> Any:
        """The pystray icon, showing the picture of now (made before its loop runs: no other thread yet)."""
        view = self.redraw()
        ring = quantized(view.ring)
        make = icon_class or pystray.Icon
        self.icon = make("claude-tray", self.image_for(ring), view.title, menu=self.menu_items(pystray))
        self._ring = ring
        return self.icon

    def resend_image(self, still_needed: Callable[[], bool]) -> bool:
        """Hand the icon its image again if `still_needed()` (asked under the UI lock); False when not sent."""
        with self.ui_lock:
            if self.icon is None or self.stopping.is_set() or not still_needed():
                return False
            self.icon.icon = self.icon.icon
            return True

    def show_autostart_mark(self, enabled: bool) -> None:
        """The menu's "Launch at login" check mark; the menu is built again when it changed."""
        if enabled == self.autostart_enabled:
            return
        self.autostart_enabled = enabled
        with self.ui_lock:
            if self.icon is not None and not self.stopping.is_set():
                self.icon.update_menu()

    def follow_cache(self) -> None:
        """Redraw when the cache file changed (a status-line write, another tray's fetch, a setting): one
        stat() every few seconds, a redraw only when its size or modification time moved (SPEC §5: within 5 s)."""
        mark = self.cache_mark()
        previous, self._cache_mark = self._cache_mark, mark
        read = self._read
        # Woken by the watch with the mark unmoved, and the last read came within the file clock's step of a write:
        # the write may not show in the mark, so read again (rare: a rewrite of the same size that quick).
        unseen = mark == previous and self.watch is not None and read is not None and read[1]
        if unseen:
            self._read = None
        if (mark != previous or unseen) and previous != () and not self.stopping.is_set():  # (): the first look
            self.redraw()
        self.follow_share()

    def follow_share(self) -> None:
        """Another machine's snapshot arrived in the share folder (SPEC §10): a fetch cycle now, which takes it in
        (and asks nothing while it is fresh), instead of at the next tick. One more stat() when sharing is on."""
        from tray.share.setting import share_dir_of

        folder = share_dir_of(self.env, self.cache_state())
        mark: tuple[int, ...] | None = None
        if folder is not None:
            try:
                seen = os.stat(os.path.join(folder, "claude-tray"))
                mark = (seen.st_mtime_ns, seen.st_ino)
            except OSError:
                mark = None
        previous, self._share_mark = self._share_mark, mark
        arrived = mark is not None and mark != previous and previous != ()
        if arrived and not self.stopping.is_set() and not self._pending.is_set():
            self._pending.set()
            self._jobs.put(False)

    def cache_mark(self) -> tuple[int, ...] | None:
        """The cache file's (mtime, size, inode); None when it cannot be seen."""
        try:
            seen = os.stat(self.cache_file)
        except OSError:
            return None
        return (seen.st_mtime_ns, seen.st_size, seen.st_ino)

    def repaint(self) -> None:
        """Draw the picture again even if the figures did not change (the theme or the panel did)."""
        with self.ui_lock:
            self._ring = None
        if self.view is not None and not self.stopping.is_set():
            self._push(self.view)

    def tick_running_for(self, now: float) -> float | None:
        """Seconds the tick in progress has run at `now` (time.monotonic()), None between ticks."""
        started = self.tick_started
        return None if started is None else now - started

    def interval(self) -> float:
        """The poll interval in force: this run's --interval (or CLAUDE_TRAY_INTERVAL), else the setting."""
        from tray.desktop.settings_menu import interval

        return interval(self)

    def image_for(self, ring: RingSpec) -> Any:
        from tray.desktop.settings_menu import theme as theme_in_force
        from tray.show.render import render_ring

        theme = theme_in_force(self)  # the `theme` setting, or the panel's as detected
        background = XORG_BACKGROUND[theme] if self.opaque else None
        return render_ring(ring, ICON_SIZE, theme=theme, background=background)

    # --- notifications --------------------------------------------------------------------
    def _announce(self, state: Any, view: MenuView, now: datetime) -> None:
        if self.icon is None:  # the first redraw happens before the icon exists: announce at the next one
            return
        from tray.show.notify import due_notifications  # not before: the first picture needs none of it

        # Two redraws can run at once (the worker's after a fetch, the cache watch's after that fetch's write):
        # what this process already announced is kept here too, so the second does not say it again.
        with self._announce_lock:
            due = tuple(n for n in due_notifications(state, now) if (n.key, n.threshold) not in self._announced)
            if due:
                self._announce_due(due, view, now)

    def _announce_due(self, due: Any, view: MenuView, now: datetime) -> None:
        from tray.show.notify import mark_sent

        if not self._quiet(now):  # in quiet hours they count as announced: no pop-up later for old news
            from tray.desktop.notices import combine

            title, message, urgency = combine(due)  # several at once: one notification, most urgent first
            if self.notifier is not None and self.notifier.icon_path:
                from tray.desktop.notices import write_icon

                write_icon(self.notifier.icon_path, quantized(view.ring))
            if not self.notify(message, title, urgency):
                return  # not delivered (no daemon yet): still due at the next tick

        def remember(current: Any) -> Any:
            return replace(current, notified=mark_sent(current.notified, due, now))

        self._announced.update((n.key, n.threshold) for n in due)
        self._write(remember, now)

    def _quiet(self, now: datetime) -> bool:
        from tray.base.timefmt import to_local  # a zone Python cannot use reads as UTC, not a crash
        from tray.desktop.settings_menu import quiet_hours  # --quiet-hours of this run, else the setting

        quiet = quiet_hours(self)
        return bool(quiet and quiet.contains(to_local(now)))

    def notify(self, message: str, title: str | None = None, urgency: int = 1) -> bool:
        """Show a notification of its own (none replaces another); True when it was delivered."""
        if self.notifier is not None:  # Linux: freedesktop Notify with replaces_id 0 (tray/desktop/notices.py)
            return self.notifier.send(title or "Claude usage", message, urgency)
        if self.icon is None or not getattr(self.icon, "HAS_NOTIFICATION", False):
            return False
        try:
            self.icon.notify(message, title)
        except Exception as error:  # no notification daemon: the menu still says it all
            log.info("notification not shown: %s", type(error).__name__)
            return False
        return True

    # --- the worker -----------------------------------------------------------------------
    def worker(self) -> None:
        """Runs fetches one at a time, off the UI thread."""
        while not self.stopping.is_set():
            manual = self._jobs.get()
            if manual is None:
                return
            self._busy = True  # before the pending flag goes: `fetch_idle` never sees neither
            self._pending.clear()
            try:
                self.fetch(manual=manual)
            finally:
                self._busy = False

    def fetch_idle(self) -> bool:
        """No fetch asked for and none running (simulated time moves on only then)."""
        return not self._pending.is_set() and not self._busy

    def fetch(self, *, manual: bool) -> None:
        from tray.fetching.fetch import run_fetch

        now = self.clock()
        try:
            outcome = run_fetch(self.cache_file, now, env=self.env, manual=manual,
                                base_interval=self.interval(), read=self.reader.read_state, write=self._locked_write,
                                memo=self.files)
        except TrayError as error:
            log.warning("fetch failed: %s", error)
            if manual:
                self.notify(str(error), "Claude usage")
            return
        except Exception:  # a bug: keep the tray alive, leave the trace in the log
            log.exception("unexpected error during fetch")
            return
        from tray.errors import CredentialsError

        problem = outcome.error.kind if isinstance(outcome.error, CredentialsError) else None
        seen, self.credentials_problem = self.credentials_problem, problem  # read on this thread, shown by the tick
        if outcome.fetched or manual or problem != seen:
            self.redraw()
        if manual:
            self.notify(self._manual_words(outcome, now), "Claude usage")

    def _manual_words(self, outcome: Any, now: datetime) -> str:
        """What "Refresh now" did: the status line after a fetch, else what held it back (nothing was fetched)."""
        refused = outcome.refused
        if refused is None:
            return self.view.status_line if self.view else outcome.message
        from tray.fetching.gate import MANUAL_GAP

        if refused.held == MANUAL_GAP and refused.moment is not None:
            from tray.show.view import refreshed_recently

            return refreshed_recently(refused.moment, now)
        return refused.reason[:1].upper() + refused.reason[1:]

    def _write(self, change: Callable[[Any], Any], now: datetime) -> None:
        try:
            self._locked_write(self.cache_file, change, now=now)
        except TrayError as error:
            log.warning("cache not written: %s", error)

    def _locked_write(self, path: Path | str, change: Callable[[Any], Any], *, now: datetime) -> Any:
        """`cache.update_state` through the reader (our section put back first), marked in flight: quitting waits
        for it (never for a request)."""
        with self._write_lock:
            return self.reader.write(path, change, now=now)

    # --- menu actions ---------------------------------------------------------------------
    def on_refresh(self) -> None:
        self._jobs.put(True)

    def on_open_settings(self) -> None:
        from tray.desktop.edges import USAGE_SETTINGS_URL, open_url

        threading.Thread(target=open_url, args=(USAGE_SETTINGS_URL,), daemon=True).start()

    def on_debug(self) -> None:
        from tray.desktop.edges import show_text_in_viewer, show_text_window

        text = self.debug_text()

        def show() -> None:
            if not show_text_window("claude-tray: debug", text, self.theme) and not show_text_in_viewer(text):
                self.notify(text[:250], "Claude usage: last error")

        threading.Thread(target=show, daemon=True).start()

    def history_items(self, Item: Any) -> Any:
        """**Show usage history…** (SPEC §11): the chart, drawn and shown by a process of its own."""
        yield Item("Show usage history…", lambda: self.on_history())

    def on_history(self) -> None:
        from tray.desktop.history_window import open_history_window

        open_history_window(self.env)

    def on_autostart(self) -> None:
        from tray.desktop.autostart import backend_for

        try:
            backend = backend_for(self.env)
            # Ask the system, not the check mark: the user may have changed it elsewhere since start-up.
            message = backend.disable() if backend.status().enabled else backend.enable()
            self.autostart_enabled = backend.status().enabled
        except (TrayError, OSError) as error:
            message = str(error)
        self.notify(message, "Launch at login")
        if self.icon is not None:
            self.icon.update_menu()

    def quit(self) -> None:
        """End within QUIT_DEADLINE_S whatever the backend does (xorg's run() sometimes never returns)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._jobs.put(None)  # type: ignore[arg-type]

        def hard_exit() -> None:
            self._write_lock.acquire(timeout=QUIT_DEADLINE_S / 2)  # never cut a cache write in half
            self.exit_process(0)

        timer = threading.Timer(QUIT_DEADLINE_S * 0.75, hard_exit)
        timer.daemon = True
        timer.start()
        if self.icon is not None:
            got = self.ui_lock.acquire(timeout=QUIT_DEADLINE_S / 4)  # no icon update half-done while stopping
            if got:
                self.ui_lock.release()
            try:
                self.icon.stop()
            except Exception as error:  # gtk raises a GError without a notification daemon
                log.debug("stop: %s", type(error).__name__)

    def wait_for_writes(self, timeout: float = QUIT_DEADLINE_S / 2) -> None:
        """Let a cache write in flight finish before the process ends (no temp file left behind)."""
        if self._write_lock.acquire(timeout=timeout):
            self._write_lock.release()

    def menu_items(self, pystray: Any) -> Any:
        Item, Menu = pystray.MenuItem, pystray.Menu

        def items() -> Any:
            view = self.view
            lines = (*view.lines, view.status_line) if view else ("Reading…",)
            for line in lines:
                yield Item(line, None, enabled=False)
            yield Menu.SEPARATOR
            yield Item("Refresh now", lambda: self.on_refresh(), default=True)
            yield Item("Open claude.ai usage settings", lambda: self.on_open_settings())
            yield Item("Show debug error", lambda: self.on_debug())
            yield Item("Launch at login", lambda: self.on_autostart(), checked=lambda _: self.autostart_enabled)
            from tray.desktop import settings_menu

            yield settings_menu.item(self, pystray)
            yield from self.history_items(Item)  # SPEC §5's order: after Settings, before Quit
            yield Menu.SEPARATOR
            yield Item("Quit", lambda: self.quit())

        return Menu(items)

