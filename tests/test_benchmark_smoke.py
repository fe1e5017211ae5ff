"""The benchmark script runs end to end and reports every figure; the statusline's fast path that the
benchmark holds to its target prints exactly what the full cache model would. No timed assertions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import IN_CI, ROOT
from tray.model.state import state_from_cache
from tray.statusline import format_line, line_from_cache

SCRIPT = ROOT / "benchmarks" / "run.py"
COMMAND_FIGURES = {"statusline", "statusline_record", "statusline_change", "status"}
GATE_FIGURES = {"requests_unchanged", "requests_changing", "requests_two_trays"}
RENDER_FIGURES = {f"render_{size}_{look}" for size in (16, 32, 64)
                  for look in ("ok", "stale", "rate-limited", "offline", "expired", "signed-out")}
STAT_KEYS = {"median", "min", "max", "n"}


def run_quick(out: Path, *only: str) -> dict:
    argv = [sys.executable, str(SCRIPT), "--quick", "--out", str(out)]
    for group in only:
        argv += ["--only", group]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "figure" in done.stdout and "ratio" in done.stdout  # the printed table
    return json.loads((out / "latest-quick.json").read_text())


def assert_measured(figure: dict) -> None:
    assert "skipped" not in figure, figure
    assert set(figure["subject"]) == STAT_KEYS and figure["subject"]["n"] >= 1
    assert figure["subject"]["min"] <= figure["subject"]["median"] <= figure["subject"]["max"]
    assert figure["target"] and figure["meets"] in (True, False, None)


def test_a_quick_run_reports_every_command_render_and_gate_figure_with_its_baseline(tmp_path):
    result = run_quick(tmp_path, "commands", "render", "gate")
    figures = {f["id"]: f for f in result["figures"]}
    assert set(figures) == COMMAND_FIGURES | GATE_FIGURES | RENDER_FIGURES
    for figure in figures.values():
        assert_measured(figure)
        assert set(figure["baseline"]) == STAT_KEYS and set(figure["ratio"]) == STAT_KEYS
    assert "vs_python_pass" in figures["statusline"]["extra"]
    assert {"cpu", "cores", "python", "Pillow", "pystray"} <= set(result["machine"])


def test_a_quick_run_reports_the_tray_figures_on_a_real_tray_host(tmp_path):
    missing = [t for t in ("Xvfb", "trayer", "dbus-daemon", "dunst") if shutil.which(t) is None]
    result = run_quick(tmp_path, "tray")
    figures = {f["id"]: f for f in result["figures"]}
    backend = next(iter(figures)).rsplit("_", 1)[1]
    kinds = ("startup", "rss", "rss_fetched", "cpu_unchanged", "cpu_changing")
    assert set(figures) == {f"{k}_{backend}" for k in kinds}
    if missing and not IN_CI:
        assert all("skipped" in f for f in figures.values())  # says what is missing instead of failing
        return
    for figure in figures.values():
        assert_measured(figure)
    assert figures[f"rss_{backend}"]["extra"]["requests_sent"] == 0  # fresh cache: the ticks never fetched
    assert figures[f"rss_fetched_{backend}"]["extra"]["requests_sent"] >= 1  # an old cache: it did fetch


windows = st.one_of(
    st.none(), st.integers(), st.text(max_size=3),
    st.fixed_dictionaries(
        {"key": st.sampled_from(["five_hour", "seven_day"]), "label": st.one_of(st.text(max_size=5), st.none())},
        optional={"utilization": st.one_of(st.floats(), st.integers(-10, 10**400), st.booleans(), st.text()),
                  "resets_at": st.one_of(st.none(), st.text(max_size=5), st.just("2026-01-01T00:00:00Z"))},
    ),
)
moments = st.one_of(st.none(), st.integers(0, 4 * 10**9), st.text(max_size=4),
                    st.sampled_from(["2026-11-30T12:00:00Z", "2026-11-30T12:00:00.5+00:00", "2026-11-30T11:59:59Z",
                                     "2026-11-30T13:00:00+01:00", "0001-01-01T00:00:00Z", "2026-11-31T12:00:00Z",
                                     "2026-11-30T12:00:00.1234567+00:00", "2026-11-30T12:00:00.000001+00:00",
                                     "2999-12-31T23:59:59Z", "3000-01-01T00:00:00+00:00", "2026-11-30 12:00:00Z"]))
percents = st.one_of(st.none(), st.floats(), st.integers(-5, 10**400), st.booleans(), st.text(max_size=3))
caches = st.one_of(
    st.none(), st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({}, optional={
        "tray": st.one_of(st.none(), st.text(max_size=2), st.fixed_dictionaries({}, optional={
            "usage": st.one_of(st.none(), st.integers(), st.fixed_dictionaries(
                {}, optional={"five_hour": windows, "seven_day": windows})),
            "fetched_at": moments,
        })),
        "pro": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
            "five_hour_pct": percents, "seven_day_pct": percents})),
        "updated_at": moments,
    }),
)


@settings(max_examples=400, deadline=None)
@given(caches)
def test_the_statusline_fast_path_prints_what_the_full_cache_model_prints(raw):
    assert line_from_cache(raw) == format_line(state_from_cache(raw if isinstance(raw, dict) else {}))
