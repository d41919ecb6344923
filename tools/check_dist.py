"""Check a release before it ships: ``python tools/check_dist.py [DIST_DIR]`` (``tox -e pkg``).

1. Build the sdist, and the wheel from the sdist (so the sdist is complete), into DIST_DIR.
2. ``twine check --strict`` both; the wheel's metadata: classifiers known to
   ``trove-classifiers``, real project URLs, the license file, ``py.typed`` of both packages,
   the ``pingone-worker`` console script and the ``pytest11`` entry point.
3. Install the wheel (no extras, as most users will) into a fresh virtual environment, then
   from there: run ``pingone-worker demo``, import every public name, and run a pytest test
   that uses the plugin's fixtures.

Any failure exits non-zero with what was wrong. Uses ``uv`` for the environment when it is
on PATH (faster), else ``venv`` + ``pip``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("httpx_pingone_worker", "pytest_pingone")

SMOKE = r"""
import importlib.metadata as md
import importlib.resources as res
import sys

import httpx_pingone_worker as hpw
import pytest_pingone
from httpx_pingone_worker import emulator

missing = [n for n in hpw.__all__ if getattr(hpw, n, None) is None]
missing += [f"emulator.{n}" for n in emulator.__all__ if getattr(emulator, n, None) is None]
missing += [f"pytest_pingone.{n}" for n in pytest_pingone.__all__
            if getattr(pytest_pingone, n, None) is None]
assert not missing, f"public names that do not import: {missing}"
assert hpw.__version__ == md.version("httpx-pingone-worker"), hpw.__version__
for package in ("httpx_pingone_worker", "pytest_pingone"):
    assert res.files(package).joinpath("py.typed").is_file(), f"{package}/py.typed missing"
plugins = {ep.name: ep.value for ep in md.entry_points(group="pytest11")}
assert plugins.get("pingone") == "pytest_pingone.plugin", plugins
scripts = {ep.name: ep.value for ep in md.entry_points(group="console_scripts")}
assert scripts.get("pingone-worker") == "httpx_pingone_worker.cli:main", scripts
print(f"smoke: {len(hpw.__all__)} public names import; py.typed, entry points present")
"""

PLUGIN_TEST = """
def test_fixtures_from_the_installed_wheel(pingone_client, pingone_token):
    assert pingone_client.get_environment().name
    assert pingone_token.token_type == "Bearer"
"""


def fail(message: str) -> None:
    sys.exit(f"check_dist: FAILED: {message}")


def run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    shown = (str(a) if len(str(a)) < 100 else str(a).strip().splitlines()[0] + " …" for a in argv)
    print("+", " ".join(shown), flush=True)
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        fail(f"{argv[0]} exited {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def build(dist: Path) -> tuple[Path, Path]:
    shutil.rmtree(dist, ignore_errors=True)
    uv = shutil.which("uv")
    if uv:
        run(uv, "build", "--quiet", "--out-dir", dist, ROOT)
    else:
        run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        fail(f"expected one sdist and one wheel in {dist}, found {sdists + wheels}")
    return sdists[0], wheels[0]


def check_metadata(wheel: Path) -> None:
    import trove_classifiers

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    for package in PACKAGES:
        if f"{package}/py.typed" not in names:
            fail(f"{package}/py.typed is not in the wheel")
    if f"{info}/licenses/LICENSE" not in names:
        fail("the LICENSE file is not in the wheel (license-files)")
    if meta.get("License-Expression") != "MIT":
        fail(f"License-Expression is {meta.get('License-Expression')!r}, expected 'MIT'")
    classifiers = meta.get_all("Classifier") or []
    unknown = [c for c in classifiers if c not in trove_classifiers.classifiers]
    deprecated = [c for c in classifiers if c in trove_classifiers.deprecated_classifiers]
    if unknown or deprecated or not classifiers:
        fail(f"classifiers: unknown {unknown}, deprecated {deprecated}")
    if any(c.startswith("License ::") for c in classifiers):
        fail("a License :: classifier next to License-Expression (PEP 639 forbids both)")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    for label in ("Homepage", "Documentation", "Repository", "Issues", "Changelog"):
        if not urls.get(label, "").startswith("https://") or "example." in urls[label]:
            fail(f"Project-URL {label} is missing or not a real https URL: {urls.get(label)!r}")
    for line in (
        "pingone-worker = httpx_pingone_worker.cli:main",
        "pingone = pytest_pingone.plugin",
    ):
        if line not in entry_points:
            fail(f"entry point {line!r} is not in the wheel's entry_points.txt")
    print(f"metadata: {len(classifiers)} classifiers known, URLs, license, py.typed, entry points")


def install_and_smoke(wheel: Path, work: Path) -> None:
    venv = work / "venv"
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    uv = shutil.which("uv")
    if uv:
        run(uv, "venv", "--quiet", "--python", sys.executable, venv)
        run(uv, "pip", "install", "--quiet", "--python", python, wheel, "pytest")
    else:
        run(sys.executable, "-m", "venv", venv)
        run(python, "-m", "pip", "install", "--quiet", wheel, "pytest")
    # A clean environment: no PINGONE_* of the developer, no keyring, a throwaway home.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINGONE_", "PYTHON"))}
    env.update(
        PINGONE_WORKER_DATA_DIR=str(work / "data"),
        PINGONE_WORKER_CACHE_DIR=str(work / "cache"),
        PINGONE_WORKER_KEY_BACKEND="file",
        PATH=os.pathsep.join([str(bindir), env.get("PATH", "")]),
    )
    out = run(bindir / "pingone-worker", "--json", "demo", cwd=work, env=env)
    demo = json.loads(out)
    if not demo.get("ok") or not all(step["ok"] for step in demo["steps"]):
        fail(f"pingone-worker demo did not succeed: {out[-2000:]}")
    print(f"demo: {len(demo['steps'])} steps ok")
    print(run(python, "-c", SMOKE, cwd=work, env=env).strip())
    (work / "test_plugin.py").write_text(PLUGIN_TEST, encoding="utf-8")
    out = run(
        python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin.py", cwd=work, env=env
    )
    print("plugin:", out.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="check-dist-") as tmp:
        dist = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(tmp) / "dist"
        sdist, wheel = build(dist)
        run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
        check_metadata(wheel)
        install_and_smoke(wheel, Path(tmp))
    print(f"check_dist: OK ({sdist.name}, {wheel.name})")


if __name__ == "__main__":
    main()
