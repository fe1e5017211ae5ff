"""Foresight end to end: recorded histories in a real cache file -> status, status --json, the status line,
the tray's menu, debug view and notifications; two accounts side by side, each launched at login."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tests.test_app import StandInIcon
from tray.base.timefmt import nearest_minute, to_local
from tray.cli import main
from tray.desktop.app import TrayApp
from tray.desktop.edges import InstanceLock
from tray.desktop.runner import _autostart_enabled, _label
from tray.model.state import CachedState
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.show.quiet import QuietHours
from tray.show.report import status_json, status_text
from tray.statusline import main as statusline_main
from tray.store import cache
from tray.store.history import append_reading
from tray.store.paths import cache_path

DATA = Path(__file__).parent / "data"
UTC1 = timezone(timedelta(hours=1))
STEADY_NOW = datetime(2026, 11, 30, 14, 31, tzinfo=timezone.utc)  # a minute after the last recorded reading
SURPRISE_NOW = datetime(2026, 11, 30, 13, 41, tzinfo=timezone.utc)


def cache_from(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "oh-my-claude" / ".usage_cache"
    target.parent.mkdir(parents=True)
    shutil.copy(DATA / name, target)
    return target


def test_status_from_a_recorded_session_says_when_the_5_hour_limit_comes(tmp_path: Path):
    state = cache.read_state(cache_from(tmp_path, "history_steady.json"))
    assert status_text(state, STEADY_NOW, tz=UTC1, clock_24h=True).splitlines() == [
        "Plan: Max",
        "5-hour 44% — resets in 2 h 29 m (18:00)",
        "at this pace: limit at 17:53 (in 2 h 22 m)",  # 23.5 %/h over 90 min of readings
        "7-day 30% — resets Thu 10:00",
        "at this pace: lasts until reset",
        "Updated just now via Claude Code",
    ]


def test_status_json_carries_rate_interval_and_confidence(tmp_path: Path):
    state = cache.read_state(cache_from(tmp_path, "history_steady.json"))
    windows = {w["key"]: w for w in status_json(state, STEADY_NOW, tz=UTC1)["windows"]}
    five = windows["five_hour"]["projection"]
    assert five["confidence"] == "high" and five["lasts_until_reset"] is False
    assert five["limit_at"].startswith("2026-11-30T16:52")
    assert five["rate_low"] < five["rate_percent_per_hour"] == 23.53 < five["rate_high"]
    assert five["readings"] == 46 and five["since"] == "2026-11-30T13:00:07+00:00"
    assert windows["seven_day"]["projection"]["lasts_until_reset"] is True


def test_an_hour_later_without_new_readings_there_is_no_projection(tmp_path: Path):
    state = cache.read_state(cache_from(tmp_path, "history_steady.json"))
    text = status_text(state, STEADY_NOW + timedelta(hours=1), tz=UTC1, clock_24h=True)
    assert "at this pace" not in text and "Stale" in text


def test_a_surprise_reset_is_named_in_the_debug_view_and_the_projection_restarts_there(tmp_path: Path):
    from tray.show.debugtext import debug_text
    from tray.show.view import build_view

    state = cache.read_state(cache_from(tmp_path, "history_surprise.json"))
    view = build_view(state, SURPRISE_NOW, tz=UTC1, clock_24h=True)
    assert view.lines[1:3] == ("5-hour 12% — resets in 3 h 19 m (18:00)", "at this pace: lasts until reset")
    # One busy session does not speak for a week with certainty: "around", and a tilde on the countdown.
    assert view.lines[4] == "at this pace: limit around Wed 22:42 (in ~2 d 8 h)"
    text = debug_text(state, SURPRISE_NOW, tz=UTC1)
    assert ("Last unusual reset: 5-hour window reset by surprise at 2026-11-30 14:02:05 UTC+01:00, "
            "announced for 2026-11-30 17:59:59 UTC+01:00 (61.9% → 0%)") in text.splitlines()
    assert "Projection 5-hour: 19.4 %/h (17.7–21.5) from 20 readings since 2026-11-30 14:02:05" in text


def test_the_status_line_prints_the_limit_time_behind_a_flag(tmp_path: Path):
    cache_file = cache_from(tmp_path, "history_steady.json")
    env = {"CLAUDE_TRAY_CACHE": str(cache_file)}
    out = io.StringIO()
    assert statusline_main(stdin=io.StringIO(""), stdout=out, env=env, now=STEADY_NOW, projection=True) == 0
    clock = to_local(nearest_minute(datetime(2026, 11, 30, 16, 52, 53, tzinfo=timezone.utc))).strftime("%H:%M")
    assert out.getvalue() == f"5h:44%→{clock} 7d:30%\n"  # the 7-day window lasts: nothing added
    plain = io.StringIO()
    statusline_main(stdin=io.StringIO(""), stdout=plain, env=env, now=STEADY_NOW)
    assert plain.getvalue() == "5h:44% 7d:30%\n"


def test_the_status_line_with_projection_still_imports_only_the_standard_library(tmp_path: Path, fixtures: Path):
    cache_file = cache_from(tmp_path, "history_steady.json")
    probe = (
        "import sys, io\n"
        "sys.stdin = io.StringIO(open(sys.argv[1]).read())\n"
        "from tray.cli import main\n"
        "main(['statusline', '--projection'])\n"
        "third = sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names"
        " and m.split('.')[0] not in ('tray', 'tests') and not m.startswith('_'))\n"
        "print('THIRD-PARTY:', ','.join(sorted(set(third))))\n"
    )
    for stdin in (fixtures / "cache" / "statusline_stdin.json", fixtures / "cache" / "statusline_stdin_no_limits.json"):
        result = subprocess.run(
            [sys.executable, "-c", probe, str(stdin)], capture_output=True, text=True, timeout=30,
            env={"PATH": os.environ.get("PATH", ""), "CLAUDE_TRAY_CACHE": str(cache_file)},
            cwd=Path(__file__).parents[1],
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("5h:") and result.stdout.strip().endswith("THIRD-PARTY:")


# --- the tray ---------------------------------------------------------------------------------------------
START = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
RESET = START + FIVE_HOURS


def fast_session(cache_file: Path, minutes: int = 45) -> datetime:
    """40 % → 79 % in 45 minutes (52 %/h): the limit is 24 minutes away (13:09), still below the 80 % note."""
    history: tuple = ()
    now = START
    for i in range(minutes + 1):
        now = START + timedelta(minutes=i)
        usage = Usage(five_hour=UsageWindow("five_hour", "5-hour", 40 + 39 * i / minutes, RESET, FIVE_HOURS),
                      seven_day=UsageWindow("seven_day", "7-day", 20, START + timedelta(days=3), SEVEN_DAYS))
        history = append_reading(history, usage, now)
    final = CachedState(usage=usage, fetched_at=now, source="api", history=history)
    cache.update_state(cache_file, lambda _current: final, now=now)
    return now


def tray_for(home: Path, cache_file: Path, now: datetime, **options: object) -> tuple[TrayApp, StandInIcon]:
    app = TrayApp(env={"HOME": str(home)}, cache_file=cache_file, base_interval=60, clock=lambda: now,
                  **options)  # type: ignore[arg-type]
    icon = StandInIcon()
    app.icon = icon
    return app, icon


def test_the_menu_shows_the_projection_under_the_window(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    now = fast_session(cache_file)
    app, _ = tray_for(home, cache_file, now)
    lines = app.redraw().lines
    five = next(i for i, line in enumerate(lines) if line.startswith("5-hour 79%"))
    assert lines[five + 1].startswith("at this pace: limit at ") and lines[five + 1].endswith("(in 24 min)")


def test_the_pace_tick_turns_into_the_warning_cue_when_usage_runs_ahead(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    now = fast_session(cache_file)  # 79 % used when 15 % of the window has passed
    app, _ = tray_for(home, cache_file, now)
    ring = app.redraw().ring
    assert ring.outer_ahead and not ring.inner_ahead  # the week: 20 % used, 57 % elapsed


def test_the_pace_warning_pops_up_once_per_window_period(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    now = fast_session(cache_file)
    app, icon = tray_for(home, cache_file, now)
    app.redraw()
    assert [title for _, title in icon.notes] == ["Claude 5-hour limit in ~24 min"]
    assert icon.notes[0][0].startswith("At this pace the 5-hour limit is reached in ~24 min (")
    app.redraw()
    other, other_icon = tray_for(home, cache_file, now)  # a second tray on the same cache
    other.redraw()
    assert len(icon.notes) == 1 and other_icon.notes == []
    assert json.loads(cache_file.read_text())["tray"]["notified"] == {"five_hour@2026-11-30T17:00:00+00:00": [1]}


def test_one_pop_up_per_window_at_a_time_the_pace_warning_follows_the_80_percent_note(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    history: tuple = ()
    for i in range(46):  # 40 % -> 84 % in 45 minutes: past 80 %, and the limit ~16 minutes away
        now = START + timedelta(minutes=i)
        usage = Usage(five_hour=UsageWindow("five_hour", "5-hour", 40 + 44 * i / 45, RESET, FIVE_HOURS),
                      seven_day=UsageWindow("seven_day", "7-day", 20, START + timedelta(days=3), SEVEN_DAYS))
        history = append_reading(history, usage, now)
    final = CachedState(usage=usage, fetched_at=now, source="api", history=history)
    cache.update_state(cache_file, lambda _current: final, now=now)
    app, icon = tray_for(home, cache_file, now)
    app.redraw()
    assert [title for _, title in icon.notes] == ["Claude 5-hour limit at 80%"]  # not two at once
    app.redraw()  # the next tick
    assert [title for _, title in icon.notes][1:] == ["Claude 5-hour limit in ~16 min"]
    app.redraw()
    assert len(icon.notes) == 2  # each once in this period


def test_in_quiet_hours_the_pace_warning_does_not_pop_up_and_does_not_come_later(home: Path):
    cache_file = home / ".claude" / "oh-my-claude" / ".usage_cache"
    now = fast_session(cache_file)
    local = now.astimezone()
    quiet = QuietHours(time((local.hour - 1) % 24, 0), time((local.hour + 1) % 24, 0))
    app, icon = tray_for(home, cache_file, now, quiet_hours=quiet)
    app.redraw()
    assert icon.notes == []
    loud, loud_icon = tray_for(home, cache_file, now + timedelta(minutes=1))
    loud.redraw()
    assert loud_icon.notes == []  # remembered as sent: the moment has passed


def test_a_slow_session_raises_no_pace_warning(tmp_path: Path, home: Path):
    cache_file = cache_from(tmp_path, "history_steady.json")  # limit 2 h 22 m away: no alarm yet
    app, icon = tray_for(home, cache_file, STEADY_NOW)
    app.redraw()
    assert icon.notes == []


# --- several accounts -------------------------------------------------------------------------------------
def account(home: Path, name: str) -> dict[str, str]:
    folder = home / name
    (folder / "oh-my-claude").mkdir(parents=True)
    return {"HOME": str(home), "CLAUDE_CONFIG_DIR": str(folder), "PATH": os.environ.get("PATH", "")}


def test_two_config_dirs_run_two_trays_side_by_side_each_labelled(home: Path):
    work, personal = account(home, ".claude-work"), account(home, "claude-personal")
    caches = [cache_path(env) for env in (work, personal)]
    assert caches[0] != caches[1]
    locks = [InstanceLock(c) for c in caches]
    assert [lock.acquire() for lock in locks] == [True, True]
    assert not InstanceLock(caches[0]).acquire()  # but one tray per config dir
    titles = []
    for env, cache_file in zip((work, personal), caches):
        fast_session(cache_file)
        app, icon = tray_for(home, cache_file, START + timedelta(minutes=45), label=_label(env))
        view = app.redraw()
        titles.append(icon.title)
        assert view.lines[0] == f"Account: {_label(env)}"
    assert [t.split(",")[0] for t in titles] == [
        "claude-work — Claude usage: 5-hour 79 %", "claude-personal — Claude usage: 5-hour 79 %"]
    assert all("; weekly 20 %;" in t for t in titles)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the XDG autostart entry")
def test_autostart_registers_each_config_dir_under_its_own_name(home: Path, tmp_path: Path, monkeypatch):
    # Launch at login refuses a program inside the temp folder; CI may check the project out under /tmp.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "not-the-checkout"))
    work, personal = account(home, ".claude-work"), account(home, "claude-personal")
    plain = {"HOME": str(home), "PATH": os.environ.get("PATH", "")}
    autostart = home / ".config" / "autostart"
    assert main(["--config-dir", work["CLAUDE_CONFIG_DIR"], "autostart", "enable"], plain) == 0
    assert main(["autostart", "enable", "--config-dir", personal["CLAUDE_CONFIG_DIR"]], plain) == 0
    entries = sorted(p.name for p in autostart.iterdir())
    assert entries == ["claude-usage-tray-claude-personal.desktop", "claude-usage-tray-claude-work.desktop"]
    exec_line = next(line for line in (autostart / entries[1]).read_text().splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(f" run --config-dir {work['CLAUDE_CONFIG_DIR']}")
    # The menu's check item asks the same entry: on for these two, off for the default account.
    assert _autostart_enabled(work) and _autostart_enabled(personal) and not _autostart_enabled(plain)
    assert main(["--config-dir", work["CLAUDE_CONFIG_DIR"], "autostart", "disable"], plain) == 0
    assert not _autostart_enabled(work) and _autostart_enabled(personal)
