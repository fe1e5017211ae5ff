"""Settings (SPEC §9): defaults, validation in one sentence, storage under `tray.settings` in the cache."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tray.base.values import replace
from tray.errors import UsageError
from tray.model.state import CachedState, state_from_cache, state_to_section
from tray.store import cache
from tray.store.settings import (
    DEFAULTS,
    KEYS,
    Settings,
    change_settings,
    put_back,
    settings_from_stored,
    settings_of,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def test_every_setting_of_the_spec_has_its_default():
    assert dict(DEFAULTS.items()) == {
        "icon": "both", "show": "used", "label": "off", "notify": "80,90,100", "quiet_hours": "off",
        "interval": "60", "theme": "auto", "share_dir": "off",
    }
    assert tuple(dict(DEFAULTS.items())) == KEYS


@pytest.mark.parametrize(("key", "text", "stored"), [
    ("icon", "AUTO", "auto"), ("icon", "five_hour", "five_hour"), ("icon", "weekly", "weekly"),
    ("icon", "fable", "Fable"), ("show", "remaining", "remaining"), ("label", "percent-reset", "percent-reset"),
    ("notify", "90, 50", "50,90"), ("notify", "off", "off"), ("quiet_hours", "22:00-7:30", "22:00-07:30"),
    ("interval", "300", "300"), ("theme", "light", "light"), ("share_dir", "/srv/sync", "/srv/sync"),
])
def test_a_good_value_is_kept_in_its_plain_form(key, text, stored):
    changed = DEFAULTS.with_text(key, text, models=("Fable",))
    assert changed.text(key) == stored


@pytest.mark.parametrize(("key", "text", "named"), [
    ("icon", "Opus", "auto, both, five_hour, weekly or Fable"),
    ("show", "left", "used or remaining"),
    ("label", "on", "off, percent or percent-reset"),
    ("notify", "80,150", "between 1 and 100"),
    ("quiet_hours", "25:00-07:00", "HH:MM-HH:MM"),
    ("interval", "10", "from 30 to 86400"),
    ("theme", "blue", "auto, light or dark"),
    ("colour", "red", "icon, show, label, notify, quiet_hours, interval, theme or share_dir"),
])
def test_a_bad_value_is_one_sentence_naming_what_is_allowed(key, text, named):
    with pytest.raises(UsageError) as refused:
        DEFAULTS.with_text(key, text, models=("Fable",))
    message = str(refused.value)
    assert named in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_only_changed_settings_are_stored_and_unset_returns_to_the_default():
    chosen = DEFAULTS.with_text("show", "remaining").with_text("icon", "auto")
    assert chosen.to_stored() == {"icon": "auto", "show": "remaining"}
    assert chosen.without("show").to_stored() == {"icon": "auto"}


def test_a_stored_value_that_no_longer_validates_reads_as_the_default():
    stored = {"show": "sideways", "interval": "5", "theme": "dark", "x": 1}
    assert settings_from_stored(stored) == Settings(theme="dark")
    assert settings_from_stored(None) == DEFAULTS
    assert settings_from_stored(["not", "a", "mapping"]) == DEFAULTS  # type: ignore[arg-type]


def test_settings_travel_with_every_write_of_the_section():
    state = state_from_cache({"tray": {"settings": {"icon": "auto", "future_key": "kept", "bad": 3}}})
    assert settings_of(state).icon == "auto"
    assert state_to_section(state)["settings"] == {"icon": "auto", "future_key": "kept"}
    assert "settings" not in state_to_section(CachedState())  # none stored: none written


def test_a_change_is_written_under_tray_settings_and_leaves_the_rest_alone(tmp_path):
    path = tmp_path / ".usage_cache"
    path.write_text(json.dumps({"code": {"theirs": 1}, "tray": {"settings": {"future_key": "kept"}}}))
    now_set = change_settings(path, lambda s: s.with_text("label", "percent"), now=NOW)
    assert now_set.label == "percent"
    raw = json.loads(path.read_text())
    assert raw["tray"]["settings"] == {"future_key": "kept", "label": "percent"}
    assert raw["code"] == {"theirs": 1}


def test_a_refused_change_writes_nothing(tmp_path):
    path = tmp_path / ".usage_cache"
    change_settings(path, lambda s: s.with_text("theme", "dark"), now=NOW)
    before = path.read_bytes()
    with pytest.raises(UsageError):
        change_settings(path, lambda s: s.with_text("theme", "purple"), now=NOW)
    assert path.read_bytes() == before


def test_settings_dropped_by_a_foreign_rewrite_are_put_back(tmp_path):
    path = tmp_path / ".usage_cache"
    change_settings(path, lambda s: s.with_text("show", "remaining"), now=NOW)
    remembered = cache.read_state(path).settings
    path.write_text(json.dumps({"code": {}, "pro": None, "updated_at": "2026-12-01T12:00:00Z"}))  # oh-my-claude
    assert settings_of(cache.read_state(path)) == DEFAULTS
    assert put_back(path, remembered, now=NOW) is True
    assert settings_of(state_from_cache(json.loads(path.read_text()))).show == "remaining"
    assert put_back(path, {"show": "used"}, now=NOW) is False  # stored again meanwhile: not overwritten


# --- what the icon shows, counted the way the settings say ------------------------------------------------

def sample_state(name: str, *, fable: float | None = None, at: datetime = NOW) -> CachedState:
    """A cache state holding one peer-samples response, its resets moved ahead of `at`."""
    from tests.conftest import FIXTURES
    from tray.model.usage import parse_usage

    body = json.loads((FIXTURES / "peer-samples" / "responses" / name).read_text())["body"]
    for entry in [*body.get("limits", []), body["five_hour"], body["seven_day"]]:
        session = entry.get("kind") == "session" or entry is body["five_hour"]
        entry["resets_at"] = (at + (timedelta(hours=2) if session else timedelta(days=3))).isoformat()
        if fable is not None and entry.get("kind") == "weekly_scoped":
            entry["percent"] = fable
    return CachedState(usage=parse_usage(body), fetched_at=at, source="api", plan="max")


@pytest.mark.parametrize("sample", ["cs19_live_fable_only.json", "cb03_fable_limits_real_shape.json"])
def test_a_fable_week_at_91_percent_becomes_the_icon_in_auto_and_the_menu_says_why(sample):
    from tray.show.view import build_view

    state = sample_state(sample, fable=91)
    view = build_view(state, NOW, settings=Settings(icon="auto"), tz=timezone.utc, clock_24h=True)
    assert view.ring.single and view.ring.outer == 91 and view.ring.inner is None
    assert "Icon: 7-day Fable, the limit closest to being reached" in view.lines
    assert "Fable 91 %" in view.title


def test_each_icon_setting_picks_its_window_and_a_missing_model_falls_back_to_the_binding_one():
    from tray.show.view import build_view

    state = sample_state("cs19_live_fable_only.json")  # 5-hour 48, weekly 18, Fable 3

    def ring(icon: str):
        return build_view(state, NOW, settings=Settings(icon=icon), tz=timezone.utc, clock_24h=True)

    assert (ring("both").ring.outer, ring("both").ring.inner, ring("both").ring.single) == (48, 18, False)
    assert (ring("five_hour").ring.outer, ring("five_hour").ring.single) == (48, True)
    assert (ring("weekly").ring.outer, ring("weekly").ring.single) == (18, True)
    assert (ring("Fable").ring.outer, ring("Fable").ring.single) == (3, True)
    assert ring("auto").ring.outer == 48
    gone = ring("Opus")
    assert gone.ring.outer == 48
    assert "Icon: Opus is not in the latest reading — showing the closest limit, 5-hour" in gone.lines


def test_remaining_counts_the_same_in_ring_label_title_menu_and_status():
    from tray.show.report import status_text
    from tray.show.view import build_view

    state = replace(sample_state("cs19_live_fable_only.json"), settings={"show": "remaining", "label": "percent"})
    view = build_view(state, NOW, tz=timezone.utc, clock_24h=True)
    assert view.ring.remaining and view.ring.outer == 48  # the ring draws what is left of 48 % used
    assert view.label == "52% left"
    assert view.title.startswith("Claude usage: 5-hour 52 % left, resets 14:00; weekly 82 % left; Fable 97 % left")
    assert "5-hour 52% left — resets in 2 h (14:00)" in view.lines
    text = status_text(state, NOW, tz=timezone.utc, clock_24h=True)
    assert "5-hour 52% left" in text and "7-day 82% left" in text and "7-day Fable 97% left" in text


def test_the_label_is_the_figure_or_the_figure_and_its_countdown():
    from tray.show.view import build_view

    state = sample_state("cs19_live_fable_only.json")
    label = {mode: build_view(state, NOW, settings=Settings(label=mode, icon="auto")).label
             for mode in ("off", "percent", "percent-reset")}
    assert label == {"off": "", "percent": "48%", "percent-reset": "48% · 2h"}


def test_notifications_follow_the_thresholds_set_and_read_as_left_in_remaining_mode():
    from tray.show.notify import due_notifications

    state = sample_state("cs19_live_fable_only.json")  # 5-hour at 48 %

    def titles(**settings: str) -> list[str]:
        chosen = Settings()
        for key, value in settings.items():
            chosen = chosen.with_text(key, value)
        return [n.title for n in due_notifications(state, NOW, settings=chosen, tz=timezone.utc, clock_24h=True)]

    assert titles() == []
    assert titles(notify="40,90") == ["Claude 5-hour limit at 40%"]
    assert titles(notify="40,90", show="remaining") == ["Claude 5-hour: 60 % left"]
    assert titles(notify="off") == []
    assert [n.title for n in due_notifications(replace(state, settings={"notify": "45"}), NOW)] == [
        "Claude 5-hour limit at 45%"]
