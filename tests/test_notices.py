"""Notifications that stay: several due at once go out as one, most urgent first, and count as sent only
once a notification daemon took them (SPEC §5)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.test_app import make_app, usage_payload  # noqa: F401 - the fixture
from tray.desktop.notices import CRITICAL, combine, write_icon
from tray.show.look import Look, RingSpec
from tray.show.notify import Notification


class RecordingNotifier:
    def __init__(self, delivers: bool = True) -> None:
        self.delivers = delivers
        self.sent: list[tuple[str, str, int]] = []
        self.icon_path: str | None = None

    def send(self, title: str, message: str, urgency: int = 1) -> bool:
        self.sent.append((title, message, urgency))
        return self.delivers


def test_several_due_at_once_are_one_notification_naming_the_most_urgent_first() -> None:
    notes = [Notification("seven_day@x", 90, "Claude 7-day limit at 90%", "Resets Thu 09:00."),
             Notification("five_hour@x", 100, "Claude 5-hour limit at 100%", "Resets in 2 h."),
             Notification("opus@x", 80, "Claude Opus limit at 80%", "Resets Fri.")]
    title, body, urgency = combine(notes)
    assert title == "Claude 5-hour limit at 100%"
    lines = body.splitlines()
    assert lines[0] == "Resets in 2 h."
    assert lines[1].startswith("Claude 7-day limit at 90%") and lines[2].startswith("Claude Opus limit at 80%")
    assert urgency == CRITICAL


def test_two_thresholds_crossed_by_one_reading_send_a_single_notification(make_app, httpserver: HTTPServer):  # noqa: F811
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(92, 91))
    app, _icon, _ = make_app()
    app.notifier = RecordingNotifier()
    app.fetch(manual=False)
    assert len(app.notifier.sent) == 1
    title, body, _ = app.notifier.sent[0]
    assert "90%" in title and "limit at 90%" in body


def test_a_notification_no_daemon_took_is_not_marked_sent_and_goes_out_once_one_answers(
        make_app, httpserver: HTTPServer, home: Path):  # noqa: F811
    httpserver.expect_request("/api/oauth/usage").respond_with_json(usage_payload(82, 21))
    app, _icon, clock = make_app()
    app.notifier = RecordingNotifier(delivers=False)
    app.fetch(manual=False)
    cache = home / ".claude" / "oh-my-claude" / ".usage_cache"
    assert not json.loads(cache.read_text())["tray"].get("notified")
    app.notifier.delivers = True
    clock["now"] += timedelta(seconds=30)
    app.redraw()
    assert any(80 in v for v in json.loads(cache.read_text())["tray"]["notified"].values())
    sent = len(app.notifier.sent)
    clock["now"] += timedelta(seconds=30)
    app.redraw()
    assert len(app.notifier.sent) == sent  # once delivered, never again this period


def test_the_notification_icon_sits_on_a_plate_readable_on_white_and_dark_bubbles(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "note.png"
    assert write_icon(str(path), RingSpec(Look.OK, 35, 20, 0.5, 0.3))
    image = Image.open(path).convert("RGBA")
    centre_ring = image.getpixel((32, 4))  # the plate's top edge region, inside the circle
    assert centre_ring[3] == 255
    for bubble in ((255, 255, 255), (30, 30, 30)):
        on = Image.new("RGBA", image.size, (*bubble, 255))
        on.alpha_composite(image)
        # The light-theme track (dark strokes on a pale plate) differs from the plate wherever it runs.
        grey = on.convert("L")
        assert max(grey.get_flattened_data()) - min(grey.get_flattened_data()) > 120
