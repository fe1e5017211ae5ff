"""The command line (SPEC §6): `main(argv, env) -> int`.

Imports stay inside the commands: `claude-tray statusline` must load only the standard library, and
`status` should not pay for `requests` or Pillow.
"""

from __future__ import annotations

import os
import sys

# Nothing but os and sys at import: `typing` and the error enum cost the status line milliseconds it
# runs in on every prompt. Annotations are strings (PEP 563), so their names need not exist at runtime.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence

PROG = "claude-tray"
# In `--help` and the manual page (SPEC §6; the README says the same).
EXIT_CODES = (
    "Exit codes: 0 ok; 1 failed otherwise (doctor found a problem, status has no reading, the cache or launch "
    "at login could not be written, no display for the tray); 2 bad usage; 3 no or expired credentials "
    "(HTTP 401/403); 4 rate limited (429); 5 network or server error; 6 bad response."
)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command. Whatever the terminal: a character its encoding lacks is written as the nearest ASCII
    (an 8-bit locale has no "—", "✓" or "→"), a closed stdout (`claude-tray statusline >&-`) or a reader that
    left (`claude-tray status | head -c1`) ends the command quietly, never in a traceback."""
    _printable_streams()
    try:
        code = _main(argv, env)
        sys.stdout.flush()  # here, not at exit, where a broken pipe could only be reported as noise
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    return code


def _printable_streams() -> None:
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # the descriptor was closed before Python started
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the process's life
            continue
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
        if encoding == "utf8":
            continue  # every character fits: nothing to do on the status line's hot path
        import codecs

        try:
            codecs.lookup_error(_FALLBACK)
        except LookupError:
            codecs.register_error(_FALLBACK, _nearest_ascii)
        try:
            stream.reconfigure(errors=_FALLBACK)
        except (AttributeError, ValueError, OSError):
            pass  # not a text stream we can change: left as it is


_FALLBACK = "claude-tray-ascii"
_ASCII = {"—": "-", "–": "-", "✓": "+", "✗": "x", "→": "->", "…": "...", "×": "x", "·": "-", "•": "*", "≈": "~",
          "≥": ">=", "≤": "<=", "▲": "^", "▼": "v", "’": "'", "‘": "'", "“": '"', "”": '"', "°": " deg", "µ": "u"}


def _nearest_ascii(problem: UnicodeError) -> tuple[str, int]:
    if not isinstance(problem, UnicodeEncodeError):
        raise problem
    text = problem.object[problem.start:problem.end]
    return "".join(_ASCII.get(char, "?") for char in text), problem.end


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _main(argv: Sequence[str] | None, env: Mapping[str, str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if env is None else env)
    if argv in (["statusline"], ["statusline", "--projection"]):
        # The hot path: no argparse, nothing but what printing a line needs.
        from tray.statusline import main as statusline_main

        try:
            return statusline_main(env=env, projection=len(argv) == 2)
        except BrokenPipeError:
            raise
        except OSError as broken:  # a prompt must never see a traceback; the one sentence goes to stderr
            print(f"{PROG}: could not print the status line ({broken.strerror or broken}).", file=sys.stderr)
            return 1
        except Exception as problem:
            from tray.errors import TrayError

            if not isinstance(problem, TrayError):
                raise
            print(f"{PROG}: {problem}", file=sys.stderr)
            return int(problem.exit_code)
    from tray.errors import ExitCode, TrayError

    if argv[:1] == ["_menu"]:  # the xorg backend's menu window, in its own process
        from tray.desktop.edges import menu_main

        return menu_main(argv[1:], sys.stdin, sys.stdout)
    if argv[:1] == ["_debug-view"]:  # the tray's "Show debug error" window, in its own process
        from tray.desktop.edges import debug_view_main

        return debug_view_main(argv[1] if len(argv) > 1 else PROG, sys.stdin, *argv[2:3])
    args = _args_without_argparse(argv)
    if args is None:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as stop:  # argparse already printed the one-line usage error
            return int(stop.code or 0) and int(ExitCode.USAGE)
    from tray.base.timefmt import use_locale_clock

    use_locale_clock()
    if getattr(args, "config_dir", None):
        env["CLAUDE_CONFIG_DIR"] = args.config_dir
    try:
        return int(args.handler(args, env))
    except TrayError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return int(error.exit_code)
    except KeyboardInterrupt:
        return 130


def _args_without_argparse(argv: list[str]) -> argparse.Namespace | None:
    """`status`, `status --json`, `run` and no command as argparse would parse them. Bars and scripts poll
    `status`, and importing argparse (with shutil, bz2, lzma) and building the parser cost more than the
    command itself; the tray's start-up until its icon shows pays for it too."""
    from types import SimpleNamespace

    if argv in ([], ["run"]):
        return SimpleNamespace(  # type: ignore[return-value]
            handler=_cmd_run, interval=None, quiet_hours=None, label=None, config_dir=None)
    if argv not in (["status"], ["status", "--json"]):
        return None
    return SimpleNamespace(handler=_cmd_status, json=len(argv) == 2, config_dir=None)  # type: ignore[return-value]


def _parser() -> argparse.ArgumentParser:
    import argparse

    from tray import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description="Your Claude subscription's 5-hour and weekly limits in the system tray.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--config-dir", metavar="DIR", help="Claude Code config dir (default $CLAUDE_CONFIG_DIR or ~/.claude)"
    )
    parser.set_defaults(handler=_cmd_run, interval=None, quiet_hours=None, label=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run the tray (the default)")
    run.add_argument("--interval", type=float, metavar="SECONDS", help="poll interval, at least 30 (default 60)")
    run.add_argument("--quiet-hours", metavar="HH:MM-HH:MM", help="no notifications pop up in this span")
    run.add_argument("--label", help="name shown in the tooltip and menu (several accounts)")
    run.add_argument(
        "--config-dir", metavar="DIR", default=argparse.SUPPRESS, help="run for another Claude Code config dir"
    )
    run.set_defaults(handler=_cmd_run)

    status = commands.add_parser("status", help="show the cached reading (no network)")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=_cmd_status)

    refresh = commands.add_parser("refresh", help="fetch now, update the cache, print the result")
    refresh.add_argument("--debug", action="store_true", help="print URL, status, headers and body (token masked)")
    refresh.add_argument("--force", action="store_true",
                         help="ask even inside a wait the server asked for (a 429's Retry-After)")
    refresh.set_defaults(handler=_cmd_refresh)

    statusline = commands.add_parser("statusline", help="for Claude Code's statusLine setting")
    statusline.add_argument(
        "--projection", action="store_true", help="add when a limit is due at this pace: 5h:47%%→15:40"
    )
    statusline.set_defaults(handler=lambda args, env: __import__("tray.statusline").statusline.main(
        env=env, projection=args.projection))

    doctor = commands.add_parser("doctor", help="check everything the tray depends on, with fixes")
    doctor.set_defaults(handler=_cmd_doctor)

    autostart = commands.add_parser("autostart", help="launch at login")
    autostart.add_argument("action", choices=("enable", "disable", "status"))
    autostart.add_argument(
        "--config-dir", metavar="DIR", default=argparse.SUPPRESS, help="launch the tray of this config dir at login"
    )
    autostart.set_defaults(handler=_cmd_autostart)

    render = commands.add_parser("render", help="draw an icon to a PNG file")
    render.add_argument("out", metavar="OUT.png")
    render.add_argument("--five-hour", type=float, default=47.0, metavar="N")
    render.add_argument("--seven-day", type=float, default=21.0, metavar="N")
    render.add_argument("--five-hour-pace", type=float, default=None, metavar="FRACTION")
    render.add_argument("--seven-day-pace", type=float, default=None, metavar="FRACTION")
    render.add_argument("--state", default="ok", help="ok, stale, rate-limited, offline, expired, signed-out")
    render.add_argument("--size", type=int, default=64, metavar="PX")
    render.add_argument("--theme", choices=("dark", "light"), default="dark")
    render.set_defaults(handler=_cmd_render)

    config = commands.add_parser("config", help="show or change the settings (icon, label, notifications, …)")
    config_actions = config.add_subparsers(title="actions", metavar="ACTION", dest="action", required=True)
    config_actions.add_parser("list", help="every setting and its value")
    config_actions.add_parser("get", help="one setting's value").add_argument("key", metavar="KEY")
    config_set = config_actions.add_parser("set", help="change a setting (the tray follows at its next tick)")
    config_set.add_argument("key", metavar="KEY")
    config_set.add_argument("value", metavar="VALUE")
    config_actions.add_parser("unset", help="put a setting back to its default").add_argument("key", metavar="KEY")
    config.set_defaults(handler=_cmd_config)

    history = commands.add_parser("history", help="the kept readings: a table per day, --csv, or a --png chart")
    shape = history.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="print every kept reading as CSV")
    shape.add_argument("--png", metavar="OUT.png", help="draw the chart to this PNG file")
    shape.add_argument("--window-view", action="store_true", help="show the chart in a window (the menu's)")
    history.add_argument("--days", type=float, default=7.0, metavar="N", help="chart the last N days (1-8, default 7)")
    history.add_argument("--window", default="both", choices=("both", "5h", "7d", "five_hour", "seven_day"),
                         help="which window to chart (default both)")
    history.add_argument("--theme", default="auto", choices=("auto", "light", "dark"),
                         help="chart colours (default: the desktop's)")
    history.add_argument("--scale", type=float, default=None, metavar="N",
                         help="pixel scale, 2 for HiDPI (default 1; the window follows the screen)")
    history.set_defaults(handler=_cmd_history)
    _config_dir_after_any_command(parser)
    return parser


def _config_dir_after_any_command(parser: argparse.ArgumentParser) -> None:
    """`--config-dir DIR` before or after any command (`claude-tray status --config-dir X`), at every level
    (`config get KEY --config-dir X`): each subcommand that lacks it gets it, defaulting to what was given
    earlier (argparse.SUPPRESS keeps a subcommand from overwriting it with None)."""
    import argparse

    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in {id(p): p for p in action.choices.values()}.values():  # aliases share a parser
            if not any("--config-dir" in a.option_strings for a in sub._actions):
                sub.add_argument("--config-dir", metavar="DIR", default=argparse.SUPPRESS,
                                 help="Claude Code config dir (default $CLAUDE_CONFIG_DIR or ~/.claude)")
            _config_dir_after_any_command(sub)


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _cmd_run(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.desktop.runner import run

    return run(env, interval=args.interval, quiet_hours=args.quiet_hours, label=args.label)


def _cmd_status(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.errors import ExitCode
    from tray.model.state import state_to_show
    from tray.show.report import status_json, status_text
    from tray.store import cache
    from tray.store.paths import cache_path_str

    now = _now()
    state = state_to_show(cache.read_cache(cache_path_str(env)), now)
    from tray.share.setting import share_dir_of

    if share_dir_of(env, state) is not None:  # other machines' newer reading (SPEC §10), shown, not written
        from tray.share.link import shown

        state = shown(env, state, now)
    from tray.sources.credentials import credentials_problem

    problem = credentials_problem(env, now=now)
    if args.json:
        import json

        print(json.dumps(status_json(state, now, credentials_problem=problem), indent=2))
    else:
        print(status_text(state, now, credentials_problem=problem))
    if state.has_data:
        return int(ExitCode.OK)
    return int(ExitCode.AUTH if problem else ExitCode.FAILURE)  # no reading, and no way to get one: exit 3


def _cmd_refresh(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.base.filememo import FileMemo
    from tray.errors import ExitCode
    from tray.fetching.fetch import run_fetch
    from tray.fetching.gate import clamp_interval
    from tray.show.report import print_exchanges, status_text
    from tray.store import cache
    from tray.store.paths import cache_path
    from tray.store.settings import env_seconds, settings_of

    now = _now()
    exchanges: list = []
    # The next automatic fetch is timed by the environment's interval, else the `interval` setting.
    interval = env_seconds(env, "CLAUDE_TRAY_INTERVAL") or settings_of(cache.read_state(cache_path(env))).interval
    outcome = run_fetch(
        cache_path(env), now, env=env, manual=True, force=args.force, exchanges=exchanges if args.debug else None,
        base_interval=clamp_interval(interval), memo=FileMemo(),  # Claude Code's file read once for the cycle
    )
    if args.debug:
        print_exchanges(exchanges, sys.stdout)
    if outcome.error is not None:
        print(f"{PROG}: {outcome.error}", file=sys.stderr)
        state = outcome.state if outcome.state.has_data else cache.read_state(cache_path(env))
        if state.has_data:
            print(status_text(state, now))
        return int(outcome.error.exit_code)
    if not outcome.fetched:
        print(f"Not fetched: {outcome.message}.")
    print(status_text(outcome.state, now))
    from tray.fetching.gate import SERVER_WAIT

    if not outcome.fetched and outcome.refused is not None and outcome.refused.held == SERVER_WAIT:
        return int(ExitCode.RATE_LIMITED)  # inside the server's wait: scripts see the 429 it still stands for
    return int(ExitCode.OK)


def _cmd_doctor(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.doctor import run_doctor

    return run_doctor(env, sys.stdout, now=_now())


def _cmd_autostart(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.desktop.autostart import backend_for
    from tray.errors import ExitCode

    backend = backend_for(env)
    if args.action == "enable":
        print(backend.enable())
    elif args.action == "disable":
        print(backend.disable())
    else:
        status = backend.status()
        print(status.detail)
    return int(ExitCode.OK)


def _cmd_render(args: argparse.Namespace, env: dict[str, str]) -> int:
    from pathlib import Path

    from tray.errors import ExitCode, UsageError
    from tray.show.look import Look, RingSpec

    try:
        look = Look(args.state)
    except ValueError:
        raise UsageError(
            f"Unknown state {args.state!r}: use one of {', '.join(x.value for x in Look)}."
        ) from None
    if not 8 <= args.size <= 1024:
        raise UsageError("The icon size must be between 8 and 1024 pixels.")
    from tray.show.render import render_to_file

    spec = RingSpec(
        look=look, outer=args.five_hour, inner=args.seven_day,
        outer_pace=args.five_hour_pace, inner_pace=args.seven_day_pace,
    )
    out = Path(args.out)
    try:
        render_to_file(out, spec, args.size, theme=args.theme)
    except OSError as error:
        raise UsageError(f"Could not write {out}: {error.strerror or error}.") from error
    print(f"Wrote {out} ({args.size}×{args.size}, {look.value}).")
    return int(ExitCode.OK)


def _cmd_history(args: argparse.Namespace, env: dict[str, str]) -> int:
    from tray.errors import ExitCode, UsageError

    if not 1 <= args.days <= 8:
        raise UsageError("--days must be between 1 and 8 (the history keeps 8 days).")
    if args.scale is not None and not 0.5 <= args.scale <= 4:
        raise UsageError("--scale must be between 0.5 and 4 (2 for a HiDPI screen).")
    theme = None if args.theme == "auto" else args.theme
    if args.window_view:
        from tray.desktop.history_window import window_main

        return window_main(env, theme=theme, scale=args.scale, days=args.days)
    from tray.store import cache
    from tray.store.paths import cache_path_str

    state = cache.read_state(cache_path_str(env))
    if args.csv:
        from tray.show.history_report import write_csv

        try:
            write_csv(state.history, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # `claude-tray history --csv | head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    if args.png is None:
        from tray.show.history_report import table

        print(table(state.history))
        return int(ExitCode.OK)
    from tray.desktop.theme import detect_theme
    from tray.show.history_chart import ChartError, draw
    from tray.store.settings import settings_of

    windows = {"both": ("five_hour", "seven_day"), "5h": ("five_hour",), "7d": ("seven_day",)}.get(
        args.window, (args.window,))
    try:
        drawn = draw(state.history, args.png, now=_now(), days=args.days, windows=windows,
                     theme=theme or detect_theme(env), scale=args.scale or 1.0,
                     thresholds=settings_of(state).notify or (100,))
    except ChartError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return int(ExitCode.FAILURE)
    except OSError as error:
        raise UsageError(f"Could not write {args.png}: {error.strerror or error}.") from error
    width, height = drawn.size
    print(f"Wrote {args.png} ({width}×{height}, {len(state.history)} readings kept).")
    return int(ExitCode.OK)


def _cmd_config(args: argparse.Namespace, env: dict[str, str]) -> int:
    """`config list|get|set|unset` (SPEC §9): settings live in the cache under `tray.settings`."""
    from tray.errors import ExitCode
    from tray.store import cache
    from tray.store.paths import cache_path_str
    from tray.store.settings import DEFAULTS, KEYS, change_settings, check_key, model_names, settings_of

    path = cache_path_str(env)

    def line(settings, key: str) -> str:
        return f"{key} = {settings.text(key)}" + ("  (default)" if settings.is_default(key) else "")

    if args.action in ("list", "get"):
        settings = settings_of(cache.read_state(path))
        if args.action == "get":
            print(settings.text(check_key(args.key)))
        else:
            for key in KEYS:
                print(line(settings, key))
        return int(ExitCode.OK)
    check_key(args.key)
    if args.action == "set":
        models = model_names(cache.read_state(path))
        DEFAULTS.with_text(args.key, args.value, models=models)  # a bad value: one sentence before any lock
        settings = change_settings(path, lambda s: s.with_text(args.key, args.value, models=models), now=_now())
    else:
        settings = change_settings(path, lambda s: s.without(args.key), now=_now())
    print(line(settings, args.key))
    return int(ExitCode.OK)
