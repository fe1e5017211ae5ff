"""The Python distribution `claude-tray` as PyPI and pipx users get it: its metadata, `twine check`, and real
installs of the wheel into fresh venvs. Offline except the pipx test, which installs the dependencies."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from PIL import Image

import tray
from tests.conftest import IN_CI, ROOT

pytestmark = pytest.mark.slow


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, **kwargs)  # type: ignore[call-overload]


def _source_copy(tmp_path: Path) -> Path:
    """The files a source distribution holds: an in-tree build would leave build/ and *.egg-info behind."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "tray", source / "tray", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "MANIFEST.in"):
        shutil.copy(ROOT / name, source / name)
    return source


QUIET = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _wheel(tmp_path: Path) -> Path:
    # Offline and quick: no index, no dependencies, this interpreter's setuptools as the build backend.
    built = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-deps", "--no-build-isolation",
                  "--wheel-dir", str(tmp_path / "wheels"), str(_source_copy(tmp_path))], env=QUIET)
    assert built.returncode == 0, built.stderr[-3000:]
    return next((tmp_path / "wheels").glob("claude_tray-*.whl"))


def test_the_wheel_and_sdist_are_claude_tray_with_licence_authors_urls_and_classifiers_and_pass_twine(
        tmp_path: Path) -> None:
    if importlib.util.find_spec("twine") is None or importlib.util.find_spec("setuptools") is None:
        _skip_or_fail(f"needs twine and setuptools in {sys.executable} (the test extra installs them)")
    wheel = _wheel(tmp_path)
    source = tmp_path / "source"
    sdist_dir = tmp_path / "sdist"
    made = _run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                 "print(b.build_sdist(sys.argv[1]))", str(sdist_dir)], cwd=source, env=QUIET)
    assert made.returncode == 0, made.stderr[-3000:]
    sdist = sdist_dir / made.stdout.strip().splitlines()[-1]
    assert sdist.name == f"claude_tray-{tray.__version__}.tar.gz"

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"claude_tray-{tray.__version__}.dist-info"
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        assert archive.read(f"{info}/licenses/LICENSE").startswith(b"MIT License")
    assert "tray/py.typed" in names and not any(n.startswith(("tests/", "scripts/")) for n in names)
    assert metadata["Name"] == "claude-tray" and metadata["Version"] == tray.__version__
    assert metadata["License-Expression"] == "MIT" and metadata["License-File"] == "LICENSE"
    assert "claude-tray developers" in metadata["Author"]
    assert "claude" in metadata["Keywords"] and "tray" in metadata["Keywords"]
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL"))
    assert {"Homepage", "Issues", "Changelog"} <= set(urls)
    classifiers = metadata.get_all("Classifier")
    assert "Operating System :: POSIX :: Linux" in classifiers and "Typing :: Typed" in classifiers
    assert metadata["Requires-Python"] == ">=3.9"
    assert metadata.get_payload().startswith("# claude-tray")  # the README is the long description

    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    for name in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "tray/cli.py"):
        assert f"claude_tray-{tray.__version__}/{name}" in members, name

    checked = _run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)])
    print(checked.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2


def test_pip_install_into_a_fresh_venv_gives_a_working_claude_tray(tmp_path: Path) -> None:
    """What `pipx install .` does: build a wheel, install it into a venv of its own, expose the script."""
    wheel = _wheel(tmp_path)
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index",
                 "--no-deps", str(wheel)], env=QUIET)
    assert done.returncode == 0, done.stderr[-3000:]

    script = venv / "bin" / "claude-tray"
    assert script.is_file()
    # --version needs nothing beyond the standard library, so it runs without the dependencies.
    version = _run([str(script), "--version"], cwd=tmp_path)
    assert version.stdout.strip() == f"claude-tray {tray.__version__}", version.stderr
    located = _run([str(python), "-c", "import tray; print(tray.__file__)"], cwd=tmp_path).stdout
    assert located.startswith(str(venv))  # a real copy, not the checkout
    assert (Path(located).parent / "py.typed").is_file()
    registered = _run([str(python), "-c", "from tray.desktop.autostart.command import launch_command; "
                       "print(launch_command(temp_dir='/nonexistent')[0])"], cwd=tmp_path).stdout.strip()
    assert registered == str(script)  # launch at login points at this install's script


def test_pipx_install_gives_a_claude_tray_with_its_dependencies(tmp_path: Path, fixtures: Path) -> None:
    """`pipx install .` for real: its own venv, the dependencies from the package index, the command on PATH."""
    if importlib.util.find_spec("pipx") is None:
        _skip_or_fail(f"needs pipx in {sys.executable} (the test extra installs it)")
    source = _source_copy(tmp_path)
    env = {**os.environ, "PIPX_HOME": str(tmp_path / "pipx"), "PIPX_BIN_DIR": str(tmp_path / "bin"),
           "PIPX_MAN_DIR": str(tmp_path / "man"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pipx", "install", str(source)], capture_output=True, text=True,
                          timeout=600, env=env, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    command = tmp_path / "bin" / "claude-tray"
    home = tmp_path / "home"
    cache = home / ".claude" / "oh-my-claude" / ".usage_cache"
    cache.parent.mkdir(parents=True)
    cache.write_text((fixtures / "cache" / "oh_my_claude.json").read_text())
    user = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    status = _run([str(command), "status"], env=user, cwd=tmp_path)
    # the fixture's windows have long reset: what matters is that the installed command read the cache
    assert "5-hour" in status.stdout and "(source: oh-my-claude)" in status.stdout, status.stderr
    drawn = _run([str(command), "render", str(tmp_path / "ring.png"), "--size", "24"], env=user, cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr  # Pillow came with it
    with Image.open(tmp_path / "ring.png") as image:
        assert image.size == (24, 24)
