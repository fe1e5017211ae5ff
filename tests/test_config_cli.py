"""`claude-tray config list|get|set|unset` (SPEC §9) as a user types it, against a real cache file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tray.cli import main
from tray.model.state import CachedState, shared_keys
from tray.model.usage import parse_usage


def env_for(home: Path) -> dict[str, str]:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "")}


def cache_file(home: Path) -> Path:
    return home / ".claude" / "oh-my-claude" / ".usage_cache"


def write_reading(home: Path, sample: str, *, fable: float | None = None, at: datetime | None = None) -> None:
    """A cache holding one reading of a peer-samples response (its Fable week set to `fable` if given)."""
    body = json.loads((FIXTURES / "peer-samples" / "responses" / sample).read_text())["body"]
    if fable is not None:
        for entry in body["limits"]:
            if entry["kind"] == "weekly_scoped":
                entry["percent"] = fable
    at = at or datetime.now(timezone.utc)
    for entry in [*body["limits"], body["five_hour"], body["seven_day"]]:  # resets ahead of `at`, as when it was read
        session = entry.get("kind") == "session" or entry is body["five_hour"]
        entry["resets_at"] = (at + (timedelta(hours=2) if session else timedelta(days=3))).isoformat()
    state = CachedState(usage=parse_usage(body), fetched_at=at, source="api", plan="max")
    path = cache_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(shared_keys(state, at)))


def config(home: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["config", *args], env_for(home))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_config_list_names_every_setting_with_its_default(home, capsys):
    code, out, _ = config(home, "list", capsys=capsys)
    assert code == 0
    assert out.splitlines() == [
        "icon = both  (default)", "show = used  (default)", "label = off  (default)",
        "notify = 80,90,100  (default)", "quiet_hours = off  (default)", "interval = 60  (default)",
        "theme = auto  (default)", "share_dir = off  (default)",
    ]


@pytest.mark.parametrize(("key", "value", "shown"), [
    ("icon", "auto", "auto"), ("icon", "five_hour", "five_hour"), ("icon", "weekly", "weekly"),
    ("icon", "fable", "Fable"), ("show", "remaining", "remaining"), ("label", "percent", "percent"),
    ("label", "percent-reset", "percent-reset"), ("notify", "50,100", "50,100"), ("notify", "off", "off"),
    ("quiet_hours", "22:00-07:00", "22:00-07:00"), ("interval", "120", "120"), ("theme", "dark", "dark"),
    ("share_dir", "/tmp/sync", "/tmp/sync"),
])
def test_every_setting_is_set_read_back_and_unset(home, capsys, key, value, shown):
    write_reading(home, "cs19_live_fable_only.json")
    assert config(home, "set", key, value, capsys=capsys) == (0, f"{key} = {shown}\n", "")
    assert config(home, "get", key, capsys=capsys)[1] == f"{shown}\n"
    assert json.loads(cache_file(home).read_text())["tray"]["settings"] == {key: shown}
    code, out, _ = config(home, "unset", key, capsys=capsys)
    assert code == 0 and out.endswith("(default)\n")
    assert json.loads(cache_file(home).read_text())["tray"]["settings"] == {}


@pytest.mark.parametrize(("args", "named"), [
    (("set", "icon", "Opus"), "auto, both, five_hour, weekly or Fable"),
    (("set", "show", "percent"), "used or remaining"),
    (("set", "label", "yes"), "off, percent or percent-reset"),
    (("set", "notify", "eighty"), "like 80,90,100"),
    (("set", "quiet_hours", "late"), "HH:MM-HH:MM"),
    (("set", "interval", "5"), "from 30 to 86400"),
    (("set", "theme", "sepia"), "auto, light or dark"),
    (("get", "colour"), "icon, show, label, notify, quiet_hours, interval, theme or share_dir"),
    (("unset", "colour"), "icon, show, label"),
])
def test_a_bad_setting_is_one_sentence_exit_2_and_the_old_value_stays(home, capsys, args, named):
    write_reading(home, "cs19_live_fable_only.json")
    config(home, "set", "theme", "light", capsys=capsys)
    before = cache_file(home).read_bytes()
    code, out, err = config(home, *args, capsys=capsys)
    assert code == 2 and out == ""
    assert named in err and err.count("\n") == 1 and "Traceback" not in err
    assert cache_file(home).read_bytes() == before


def test_a_model_name_is_only_offered_once_the_usage_has_shown_it(home, capsys):
    code, _, err = config(home, "set", "icon", "Fable", capsys=capsys)
    assert code == 2 and "once the usage has shown one" in err


def test_status_counts_remaining_like_the_tray_once_show_is_remaining(home, capsys):
    write_reading(home, "cs19_live_fable_only.json")
    config(home, "set", "show", "remaining", capsys=capsys)
    assert main(["status"], env_for(home)) == 0
    out = capsys.readouterr().out
    assert "5-hour 52% left" in out and "7-day 82% left" in out and "7-day Fable 97% left" in out
    assert main(["status", "--json"], env_for(home)) == 0
    title = json.loads(capsys.readouterr().out)["title"]
    assert "5-hour 52 % left" in title and "weekly 82 % left" in title and "Fable 97 % left" in title


def test_config_works_as_a_command_of_its_own(home):
    """The installed command, in a process of its own: what a user at a terminal sees."""
    done = subprocess.run(
        [sys.executable, "-m", "tray", "config", "set", "label", "percent-reset"],
        env={**env_for(home), "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60, check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "label = percent-reset\n", "")
    assert json.loads(cache_file(home).read_text())["tray"]["settings"] == {"label": "percent-reset"}


def test_an_old_reading_still_names_its_models(home, capsys):
    write_reading(home, "cb03_fable_limits_real_shape.json", at=datetime.now(timezone.utc) - timedelta(days=3))
    assert config(home, "set", "icon", "FABLE", capsys=capsys)[:2] == (0, "icon = Fable\n")


def test_doctor_lists_the_settings_in_force(home, capsys):
    config(home, "set", "show", "remaining", capsys=capsys)
    main(["doctor"], {**env_for(home), "CLAUDE_TRAY_INTERVAL": "90"})
    line = next(x for x in capsys.readouterr().out.splitlines() if "Settings in force" in x)
    assert "icon both, show remaining (set), label off, notify 80,90,100, quiet_hours off, interval 60" in line
    assert "CLAUDE_TRAY_INTERVAL=90 wins over the interval setting" in line
