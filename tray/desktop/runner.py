"""Start-up of the tray: display check, one tray per cache, pystray, the scheduler thread.

The running tray's paths are text (os.path): pathlib, with the urllib.parse, ipaddress and fnmatch it
imports, costs ~0.8 MB of resident memory. It still arrives with the launch-at-login check
(tray/autostart) and with the first fetch (urllib3 imports importlib.metadata), not with ticks or cache writes.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping

from tray import __version__
from tray.desktop import session
from tray.desktop.app import SteppedClock, TrayApp, log, make_clock
from tray.desktop.theme import detect_theme
from tray.errors import DisplayUnavailable
from tray.fetching.gate import clamp_interval
from tray.store.paths import cache_path_str, final_name
from tray.store.settings import env_seconds

NO_DISPLAY = (
    "No desktop to show a tray icon on ({why}); `claude-tray status` shows your usage in a terminal."
)


def run(env: Mapping[str, str], *, interval: float | None, quiet_hours: str | None, label: str | None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s claude-tray: %(message)s", stream=sys.stderr)
    from tray.desktop.backend import detect_backend
    from tray.desktop.edges import InstanceLock, on_termination

    base_interval = clamp_interval(interval if interval is not None else env_seconds(env, "CLAUDE_TRAY_INTERVAL"))
    quiet = _quiet_hours(quiet_hours)
    info = detect_backend(env)
    if info.display and sys.platform.startswith("linux"):
        raise DisplayUnavailable(NO_DISPLAY.format(why="DISPLAY is not set"))

    cache_file = cache_path_str(env)
    instance = InstanceLock(cache_file)
    if not instance.acquire():
        print(f"A claude-tray for {cache_file} is already running; nothing to do.")
        return 0

    pystray = _import_pystray()
    if pystray.Icon.__module__.endswith("_appindicator"):
        from tray.desktop.gdklog import quiet_known_gdk_assertion

        quiet_known_gdk_assertion()  # libayatana's XEmbed fallback trips one harmless GTK assertion
    app = TrayApp(
        env=env, cache_file=cache_file, base_interval=base_interval, clock=make_clock(env),
        label=label or _label(env), quiet_hours=quiet, theme=detect_theme(env, look=False),
        opaque=pystray.Icon.__module__.endswith("_xorg"),
    )
    # A flag (or the environment) fixes the interval for this run; otherwise the `interval` setting rules.
    app.interval_fixed = interval is not None or bool(env.get("CLAUDE_TRAY_INTERVAL", "").strip())
    backend = pystray.Icon.__module__.rsplit("_", 1)[-1]
    log.info(
        "claude-tray %s: backend %s (%s), cache %s, poll every %d s",
        __version__, backend, "menu" if pystray.Icon.HAS_MENU else "no menu", cache_file, base_interval,
    )
    if info.advice:  # what is missing for a better backend (a menu, or StatusNotifierItem panels)
        log.info("%s", info.advice)
    icon = app.create_icon(pystray, session.prepare(app, pystray, env))
    on_termination(app.quit)

    tick_seconds = env_seconds(env, "CLAUDE_TRAY_TICK_SECONDS") or 60.0
    tick = app.tick
    clock = app.clock
    if isinstance(clock, SteppedClock):  # simulated time: a tick is a step, taken once the worker is idle
        def tick() -> None:
            if app.fetch_idle():
                clock.advance()
                app.tick()
    shown = threading.Event()

    def setup(icon: object) -> None:
        # Runs on pystray's setup thread once its loop runs. Only the instance lock and the first picture
        # come before the icon; the rest (threads, schedule, the launch-at-login check) follows it.
        icon.visible = True  # type: ignore[attr-defined]
        shown.set()
        threading.Thread(target=app.worker, name="fetch", daemon=True).start()
        threading.Thread(target=_schedule_loop, args=(app, tick_seconds, tick), name="tick", daemon=True).start()
        threading.Thread(target=_watch_ticks, args=(app,), name="watchdog", daemon=True).start()
        app.tick()
        _show_autostart(app, env)
        session.start(app, icon, env, backend)
        _redock_while_unembedded(icon, app)

    try:
        icon.run(setup=setup)
    except Exception as error:  # e.g. GLib.Error when there is no D-Bus session: no traceback, a sentence
        log.info("tray backend ended: %s: %s", type(error).__name__, error)
        if shown.is_set() or app.stopping.is_set():  # the session bus went away at logout: a normal end
            app.quit()
            app.wait_for_writes()
            return 0
        app.quit()
        raise DisplayUnavailable(NO_DISPLAY.format(why=f"the tray backend failed: {type(error).__name__}")) from error
    app.quit()
    app.wait_for_writes()
    return 0


REDOCK_EVERY_S = 0.5
REDOCK_TRIES = 20


def _redock_while_unembedded(icon: object, app: TrayApp) -> None:
    """xorg only: re-send the image while the tray host has not embedded the icon's window.

    Measured under trayer: about one xorg start in ten leaves the window un-embedded (1×1, unmapped,
    still a child of the root) until the next image update, which may be minutes away. pystray has no
    public "am I docked?", so this peeks at the xorg backend's window; other backends have no `_window`.
    """
    window = getattr(icon, "_window", None)
    display = getattr(icon, "_display", None)
    if window is None or display is None:
        return
    root = display.screen().root
    on_loop = getattr(icon, "on_loop", lambda fn: fn())  # the loop's X connection is asked on the loop's thread

    def unembedded() -> bool:
        return bool(on_loop(lambda: window.query_tree().parent.id == root.id))

    for _ in range(REDOCK_TRIES):
        if app.stopping.wait(REDOCK_EVERY_S):  # polling our own window's parent: X sends us no event for it
            return
        if not app.resend_image(unembedded):
            return
        log.info("icon was not embedded by the tray host yet; sent it again")


# A tick takes milliseconds. One still running after two minutes waits on a tray host that will not answer:
# measured on xorg under trayer, python-xlib sometimes leaves pystray's loop waiting forever for a reply
# while an icon update from the tick thread waits on that loop (about once in a few hundred rapid updates).
# A frozen icon that still looks fresh is the worst thing a tray can show, so the tray starts itself again.
STUCK_AFTER_S = 120.0
WATCH_EVERY_S = 15.0


def tick_stuck(app: TrayApp, now: float) -> bool:
    """True when the tick in progress began more than STUCK_AFTER_S before `now` (time.monotonic())."""
    running = app.tick_running_for(now)
    return running is not None and running > STUCK_AFTER_S


def _watch_ticks(app: TrayApp, restart: Callable[[], object] | None = None,
                 monotonic: Callable[[], float] = time.monotonic, every: float = WATCH_EVERY_S) -> None:
    while not app.stopping.wait(every):
        if tick_stuck(app, monotonic()):
            log.error("the tray host stopped answering for %d s; starting again", STUCK_AFTER_S)
            (restart or _start_again)()
            return


def _start_again() -> None:
    """Replace this process with a fresh one of the same command (the instance lock is not inherited)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])
    os.execv(sys.executable, [sys.executable, *argv[1:]])


FOLLOW_EVERY_S = 3.0  # the icon follows a change of the cache within 5 s (SPEC §5)


def _schedule_loop(app: TrayApp, tick_seconds: float, tick: Callable[[], None]) -> None:
    """Wake only when a job is due (schedule.idle_seconds), or at once when the app stops."""
    import schedule

    scheduler = schedule.Scheduler()
    # schedule annotates its interval as int, and takes any number of seconds (a timedelta of it)
    scheduler.every(tick_seconds).seconds.do(tick)  # type: ignore[arg-type]
    # The cache followed within 5 s: woken by inotify where there is one (no polling), else a stat() every 3 s.
    watch = session.watch_cache(app)
    if watch is None:
        scheduler.every(min(tick_seconds, FOLLOW_EVERY_S)).seconds.do(app.follow_cache)  # type: ignore[arg-type]
    while not app.stopping.is_set():
        idle = scheduler.idle_seconds
        timeout = max(0.05, idle if idle is not None else tick_seconds)
        if watch is not None:
            if watch.changed.wait(timeout):
                watch.changed.clear()
                if not app.stopping.is_set():
                    session.follow(app, watch)
        elif app.stopping.wait(timeout=timeout):
            return
        if app.stopping.is_set():
            return
        try:
            scheduler.run_pending()
        except Exception:  # a bug in one tick must not end the tray
            log.exception("tick failed")


def _import_pystray():
    try:
        import pystray
    except Exception as error:  # Xlib raises DisplayNameError / ConnectionClosedError, not ImportError
        raise DisplayUnavailable(NO_DISPLAY.format(why=f"cannot reach the display: {type(error).__name__}")) from error
    return pystray


def _quiet_hours(text: str | None):
    if not text:
        return None
    from tray.show.quiet import QuietHours

    return QuietHours.parse(text)


def _label(env: Mapping[str, str]) -> str | None:
    configured = env.get("CLAUDE_CONFIG_DIR", "").strip()
    if not configured:
        return None
    return final_name(os.path.expanduser(configured)).lstrip(".") or None


def _show_autostart(app: TrayApp, env: Mapping[str, str]) -> None:
    """The menu's "Launch at login" tick: asked after the icon shows, then the menu is built again."""
    app.show_autostart_mark(_autostart_enabled(env))


def _autostart_enabled(env: Mapping[str, str]) -> bool:
    try:
        from tray.desktop.autostart import backend_for

        return bool(backend_for(env).status().enabled)
    except Exception as error:  # launch-at-login is a nicety; its failure must not stop the tray
        log.info("launch at login unknown: %s", error)
        return False
