#!/usr/bin/env python3
"""The recorded reliability run: the tests/reliability matrix at full size, its figures into the doc.

    .venv/bin/python scripts/reliability_run.py          # 10,000 examples per parser, a soaked week (~25 min)
    .venv/bin/python scripts/reliability_run.py --ci     # the CI sizes, for a quick look (~1 min)

Runs pytest on tests/reliability with HYPOTHESIS_PROFILE=recorded; each test writes what it measured as
JSON lines to $RELIABILITY_FIGURES. The figures are saved to test-artifacts/reliability-figures.json and
written into docs/RELIABILITY.md between the `figures:start` and `figures:end` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "RELIABILITY.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def run(ci: bool) -> tuple[int, list[dict], float]:
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.jsonl"
        env = {**os.environ, "RELIABILITY_FIGURES": str(figures),
               "HYPOTHESIS_PROFILE": "ci" if ci else "recorded"}
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider",
                                "-o", "addopts=-ra"], cwd=ROOT, env=env)
        elapsed = time.monotonic() - started
        rows = [json.loads(line) for line in figures.read_text().splitlines()] if figures.exists() else []
    return code, rows, elapsed


def table(rows: list[dict], elapsed: float, code: int, ci: bool) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Recorded {when} on {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, as {'root' if os.geteuid() == 0 else 'a user'}; "
        f"{'CI sizes' if ci else 'recorded sizes'}; pytest exit {code}, {elapsed / 60:.1f} min.",
        "",
        "| figure | measured |",
        "|---|---|",
    ]
    for row in sorted(rows, key=lambda r: r["name"]):
        values = ", ".join(f"{k}={v}" for k, v in row.items() if k != "name")
        lines.append(f"| `{row['name']}` | {values.replace('|', '/')} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="the CI sizes instead of the recorded ones")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/RELIABILITY.md")
    args = parser.parse_args(argv)
    code, rows, elapsed = run(args.ci)
    out = ROOT / "test-artifacts" / "reliability-figures.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"exit": code, "elapsed_s": round(elapsed, 1), "figures": rows}, indent=2))
    rendered = table(rows, elapsed, code, args.ci)
    print(rendered)
    if not args.no_doc and DOC.exists():
        text = DOC.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            DOC.write_text(f"{head}{START}\n{rendered}\n{END}{rest.split(END, 1)[1]}")
            print(f"figures written into {DOC.relative_to(ROOT)}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
