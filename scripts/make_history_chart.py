"""Draw docs/history-chart.png and docs/history-chart-dark.png: the README's chart of a simulated week.

The week is tests/week.py's (bursts of work on weekdays, nights asleep, one long sleep, a weekly reset on schedule
and one by surprise), written through the real history writer, so the chart shows what `claude-tray history --png`
shows after eight days of a tray: the same code draws it (tray.show.history_chart).

    .venv/bin/python scripts/make_history_chart.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.week import simulated_week  # noqa: E402
from tray.show.history_chart import draw  # noqa: E402
from tray.show.history_report import table  # noqa: E402

END = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)  # a Tuesday evening: fixed, so the picture is reproducible


def main(out_dir: Path) -> None:
    week = simulated_week(END)
    out_dir.mkdir(parents=True, exist_ok=True)
    for theme, name in (("light", "history-chart.png"), ("dark", "history-chart-dark.png")):
        drawn = draw(week.history, out_dir / name, now=END, theme=theme, tz=timezone.utc)
        print(f"wrote {out_dir / name} ({drawn.size[0]}×{drawn.size[1]}, {len(week.history)} readings, {theme})")
    print(table(week.history, timezone.utc))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
