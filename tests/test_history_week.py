"""A week of readings (SPEC §11): kept for the weekly window, stored compactly, merged by every writer, and
shown as a table, CSV and a chart. The week is simulated (tests/week.py): bursts of work, nights asleep, one
long sleep, a weekly reset on schedule and one by surprise."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from tests.week import simulated_week
from tray.base.values import replace
from tray.forecast.projection import projections
from tray.model.state import HISTORY_LIMIT, HISTORY_MAX, CachedState
from tray.model.usage import FIVE_HOURS, SEVEN_DAYS, Usage, UsageWindow
from tray.show import history_chart, history_report
from tray.store import cache
from tray.store.history import KEEP_SPAN, MINUTE_SPAN, THIN_STEP, append_reading, thin

END = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)
UTC = timezone.utc


@pytest.fixture(scope="module")
def week():
    return simulated_week(END)


def _step(at: datetime) -> int:
    return int(at.timestamp()) // int(THIN_STEP.total_seconds())


def test_a_week_keeps_every_minute_of_the_last_12_hours_and_one_reading_per_10_minutes_back_to_8_days(week):
    history = week.history
    newest = history[-1].at
    assert newest == END
    assert newest - history[0].at >= SEVEN_DAYS  # the weekly window is covered
    assert newest - history[0].at <= KEEP_SPAN
    assert len(history) <= HISTORY_MAX
    recent = [r for r in history if r.at >= newest - MINUTE_SPAN]
    awake_gaps = [b.at - a.at for a, b in zip(recent, recent[1:]) if b.at - a.at < timedelta(hours=1)]
    assert set(awake_gaps) == {timedelta(minutes=1)}  # every minute the laptop was awake
    older = [r for r in history if r.at < newest - MINUTE_SPAN - THIN_STEP]
    per_step: dict[int, int] = {}
    for r in older:
        per_step[_step(r.at)] = per_step.get(_step(r.at), 0) + 1
    crowded = [s for s, n in per_step.items() if n > 1]
    assert len(crowded) <= 40  # only where a period began (the peak before it is kept too)
    assert max(per_step.values()) <= 3


def test_thinning_a_kept_history_again_changes_nothing(week):
    assert thin(week.history) == week.history


def test_the_surprise_reset_and_the_peak_before_it_outlive_the_thinning(week):
    surprise = [r for r in week.history if r.event == "seven_day:surprise_reset"]
    assert [r.at for r in surprise] == [week.surprise_at]
    before = [r for r in week.history if r.at < week.surprise_at][-1]
    assert before.seven_day == max(r.seven_day for r in week.history if week.scheduled_reset < r.at < week.surprise_at)


def test_the_pace_is_worked_out_from_the_recent_minute_readings_only(week):
    now = END + timedelta(minutes=1)
    assert projections(week.history, now) == projections(week.history[-HISTORY_LIMIT:], now)
    assert projections(week.history, now)  # and there is one


def test_a_full_history_goes_through_the_cache_as_one_compact_array_per_reading(week, tmp_path):
    path = tmp_path / ".usage_cache"
    cache.update_state(path, lambda current: replace(current, history=week.history), now=END)
    text = path.read_text()
    stored = json.loads(text)["tray"]["history"]
    assert all(isinstance(row, list) for row in stored) and len(stored) == len(week.history)
    assert len(text.encode()) / len(stored) < 110  # bytes per reading, indentation included (indented objects: ~150)
    assert cache.read_state(path).history == week.history
    assert '      ["2026-' in text  # one reading a line: a person can still read the file


def test_a_history_stored_as_objects_by_an_older_version_still_reads(week):
    from tray.model.state import state_from_cache

    older = {"tray": {"history": [r.to_dict() for r in week.history[-50:]]}}
    assert state_from_cache(older).history == week.history[-50:]


def test_the_tray_and_the_status_line_merge_their_readings_into_one_history(tmp_path, week):
    from tray.statusline import record

    path = tmp_path / ".usage_cache"
    cache.update_state(path, lambda current: replace(current, history=week.history), now=END)

    def usage(five: float) -> Usage:
        return Usage(five_hour=UsageWindow("five_hour", "5-hour", five, END + timedelta(hours=2), FIVE_HOURS),
                     seven_day=UsageWindow("seven_day", "7-day", 40.0, END + timedelta(days=2), SEVEN_DAYS))

    for minute in range(1, 7):
        at = END + timedelta(minutes=minute)
        if minute % 2:
            record(path, usage(50 + minute), at)  # the status line's write
        else:  # the tray's (and `refresh`'s) write: fetch.py appends the same way
            cache.update_state(path, lambda current, at=at, m=minute: replace(
                current, usage=usage(50 + m), history=append_reading(current.history, usage(50 + m), at)), now=at)
    history = cache.read_state(path).history
    assert [r.five_hour for r in history[-6:]] == [51, 52, 53, 54, 55, 56]
    assert history[:-6] == week.history[len(week.history) - len(history) + 6:]


def test_the_csv_holds_every_kept_reading_and_reads_back_the_same(week):
    out = io.StringIO()
    assert history_report.write_csv(week.history, out) == len(week.history)
    text = out.getvalue()
    assert text.splitlines()[0] == ",".join(history_report.CSV_COLUMNS)
    assert history_report.read_csv(io.StringIO(text)) == week.history


def test_the_table_shows_each_days_peak_of_each_window(week):
    days = history_report.days(week.history, UTC)
    assert {d.day.isoformat(): d.peaks for d in days} == week.peaks
    text = history_report.table(week.history, UTC)
    for day in days:
        line = next(line for line in text.splitlines() if line.startswith(f"{day.day:%a} {day.day.day} {day.day:%b}"))
        assert f"{int(day.peaks['five_hour'])} %" in line and f"{int(day.peaks['seven_day'])} %" in line


def test_the_table_names_the_surprise_reset_and_counts_no_time_above_90_while_asleep(week):
    days = {d.day: d for d in history_report.days(week.history, UTC)}
    assert days[week.surprise_at.date()].resets["seven_day"] == ("surprise_reset",)
    assert days[week.scheduled_reset.date()].resets["seven_day"] == ("reset",)
    for day in days.values():  # the simulation spends 30 minutes at or above 90 % on its busiest days
        assert day.above["five_hour"] <= timedelta(minutes=40)
    assert any(d.above["five_hour"] >= timedelta(minutes=20) for d in days.values())
    line = next(line for line in history_report.table(week.history, UTC).splitlines()
                if line.startswith(f"{week.surprise_at:%a} {week.surprise_at.day} "))
    assert "7-day ×1 (surprise)" in line


def _near(image: Image.Image, xy: tuple[int, int], colour: str, radius: int = 3, tolerance: int = 60) -> bool:
    want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    x0, y0 = xy
    for x in range(x0 - radius, x0 + radius + 1):
        for y in range(y0 - radius, y0 + radius + 1):
            if 0 <= x < image.width and 0 <= y < image.height:
                got = image.getpixel((x, y))[:3]
                if sum(abs(a - b) for a, b in zip(got, want)) <= tolerance:
                    return True
    return False


@pytest.mark.parametrize(("theme", "scale", "size"), [("light", 1, (800, 450)), ("dark", 2, (1600, 900))])
def test_the_chart_draws_each_window_and_marks_its_resets(week, tmp_path, theme, scale, size):
    out = tmp_path / "week.png"
    drawn = history_chart.draw(week.history, out, now=END, theme=theme, scale=scale, tz=UTC)
    image = Image.open(out).convert("RGB")
    assert image.size == drawn.size == size
    colours = history_chart.THEMES[theme]
    assert _near(image, (2, 2), colours["bg"], radius=0, tolerance=6)  # the theme's background
    last = week.history[-1]
    assert _near(image, drawn.pixel(last.at, last.five_hour), colours["five_hour"], radius=2 * scale)
    assert _near(image, drawn.pixel(last.at, last.seven_day), colours["seven_day"], radius=2 * scale)
    marks = {(w, k) for w, k, _ in drawn.marks}
    assert {("seven_day", "surprise_reset"), ("seven_day", "reset"), ("five_hour", "reset")} <= marks
    for window, _, at in drawn.marks:
        if window == "seven_day":  # drawn over the 5-hour marks
            assert _near(image, drawn.pixel(at, history_chart.MARK_AT), colours["seven_day"], radius=2 * scale)
    asleep = week.asleep[0] + (week.asleep[1] - week.asleep[0]) / 2
    column = drawn.pixel(asleep, 50)[0]
    top, bottom = drawn.pixel(asleep, 100)[1], drawn.pixel(asleep, 1)[1]
    for window in ("five_hour", "seven_day"):  # no line across the long sleep
        assert not any(_near(image, (column, y), colours[window], radius=0, tolerance=40) for y in range(top, bottom))


def test_the_chart_of_one_window_leaves_the_other_out(week, tmp_path):
    out = tmp_path / "five.png"
    drawn = history_chart.draw(week.history, out, now=END, days=2, windows=("five_hour",), tz=UTC)
    image = Image.open(out).convert("RGB")
    last = week.history[-1]
    assert _near(image, drawn.pixel(last.at, last.five_hour), history_chart.THEMES["light"]["five_hour"])
    assert not _near(image, drawn.pixel(last.at, last.seven_day), history_chart.THEMES["light"]["seven_day"], radius=1)
    assert {w for w, _, _ in drawn.marks} == {"five_hour"}


def _cli(args: list[str], home, **env: str) -> subprocess.CompletedProcess:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_")}
    full.update(HOME=str(home), CLAUDE_TRAY_THEME="light", **env)
    return subprocess.run([sys.executable, "-m", "tray", *args], capture_output=True, text=True, env=full, timeout=120)


def test_claude_tray_history_prints_the_table_the_csv_and_draws_the_png(week, tmp_path):
    path = tmp_path / ".claude" / "oh-my-claude" / ".usage_cache"
    path.parent.mkdir(parents=True)
    cache.update_state(path, lambda current: replace(current, history=week.history), now=END)
    table = _cli(["history"], tmp_path, TZ="UTC")
    assert table.returncode == 0 and "5-hour peak" in table.stdout and "(surprise)" in table.stdout
    csv_out = _cli(["history", "--csv"], tmp_path)
    assert history_report.read_csv(io.StringIO(csv_out.stdout)) == week.history
    png = tmp_path / "chart.png"
    drawn = _cli(["history", "--png", str(png), "--days", "3", "--scale", "2"], tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    assert Image.open(png).size == (1600, 900) and "1600×900" in drawn.stdout


def test_claude_tray_history_refuses_more_days_than_it_keeps_in_one_sentence(tmp_path):
    done = _cli(["history", "--png", str(tmp_path / "x.png"), "--days", "30"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "claude-tray: --days must be between 1 and 8 (the history keeps 8 days)."
    assert not (tmp_path / "x.png").exists()


def test_the_running_tray_never_loads_matplotlib_or_tk():
    probe = ("import sys; import tray.desktop.app, tray.desktop.history_window, tray.show.history_report; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy', 'tkinter')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_empty_history_says_how_readings_come(tmp_path):
    assert "No readings kept yet" in history_report.table(())
    drawn = history_chart.draw((), tmp_path / "empty.png", now=END, tz=UTC)
    assert drawn.size == (800, 450) and drawn.marks == ()


def test_a_state_without_history_writes_no_pace(week):
    from tray.model.state import state_to_section

    section = state_to_section(CachedState(history=()))
    assert section["history"] == [] and section["pace"] is None


def test_a_week_of_history_comes_back_after_oh_my_claude_rewrites_the_file_whole(week, tmp_path):
    from tray.store.reader import CacheReader

    path = tmp_path / ".usage_cache"
    reader = CacheReader()  # the running tray's: it remembers the section it wrote
    reader.write(path, lambda current: replace(current, history=week.history), now=END)
    last = week.history[-1]
    path.write_text(json.dumps({  # its updater's `cat > file`: code, pro and updated_at, nothing else
        "code": {"tokens": 1}, "updated_at": "2026-12-01T18:01:00Z",
        "pro": {"five_hour_pct": int(last.five_hour), "five_hour_resets_at": "", "seven_day_pct":
                int(last.seven_day), "seven_day_resets_at": ""}}))
    assert reader.keep(path, END + timedelta(minutes=1))
    history = cache.read_state(path).history
    assert history[:len(week.history)] == week.history and len(history) - len(week.history) <= 1
    assert json.loads(path.read_text())["code"] == {"tokens": 1}


def test_without_a_display_the_window_view_opens_the_chart_in_the_image_viewer(week, tmp_path):
    import os
    import time

    path = tmp_path / ".claude" / "oh-my-claude" / ".usage_cache"
    path.parent.mkdir(parents=True)
    cache.update_state(path, lambda current: replace(current, history=week.history), now=END)
    bin_dir, opened = tmp_path / "bin", tmp_path / "opened.txt"
    bin_dir.mkdir()
    viewer = bin_dir / "xdg-open"  # stands in for the desktop's image viewer: notes what it was asked to open
    viewer.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {opened}.part && mv {opened}.part {opened}\n")
    viewer.chmod(0o755)
    done = _cli(["history", "--window-view"], tmp_path, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}", DISPLAY="",
                WAYLAND_DISPLAY="")
    assert done.returncode == 0, done.stderr
    end = time.monotonic() + 20
    while not opened.exists() and time.monotonic() < end:
        time.sleep(0.05)  # polling the viewer's own note, with a deadline
    png = Path(opened.read_text())
    assert Image.open(png).size == (800, 450)
    assert png.stat().st_mode & 0o077 == 0  # a private file
