"""Every name the README (and the docstrings' cross-references) tell users about is importable.

The names are extracted, not listed by hand:
- ``from httpx_pingone_worker… import …`` lines of the README's Python blocks are executed;
- names a Python block uses without defining or importing them (``PingOneWorkerAuth(...)``
  after an earlier block imported it), and ``hpw.X`` attributes, must be public names;
- in prose, every backticked CamelCase identifier (``retry=RetryPolicy(...)``) and every
  backticked call ``name(...)`` must be a public name (or a method of one, or a hook);
- every cross-reference ``[`X`][httpx_pingone_worker.X]`` in a docstring resolves.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import httpx_pingone_worker as hpw

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SRC = ROOT / "src"

# Where a README name may come from: the package, or the subpackages the README documents.
PUBLIC_MODULES = (
    "httpx_pingone_worker",
    "httpx_pingone_worker.emulator",
    "httpx_pingone_worker.httpx2",
    "pytest_pingone",
    "pytest_pingone.hookspecs",
    "pytest_pingone.plugin",  # the fixtures (`pingone_async_client()`)
)
# A CamelCase word in a backticked span that is not one of our names (an HTTP header).
NOT_OURS = {"Retry-After"}

PY_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
PROSE = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
SPANS = re.findall(r"`([^`\n]+)`", PROSE)
CAMEL = re.compile(r"(?<![\w.-])([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*)\b(?!-)")
CALL = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)\(")


HAS_HTTPX2 = importlib.util.find_spec("httpx2") is not None


def _public_objects() -> list[object]:
    # httpx_pingone_worker.httpx2 imports only where the httpx2 extra is installed (Python >= 3.11;
    # not in the lowest-versions legs); its names are checked in the legs that have it.
    return [
        importlib.import_module(m)
        for m in PUBLIC_MODULES
        if HAS_HTTPX2 or m != "httpx_pingone_worker.httpx2"
    ]


def _resolves(name: str) -> bool:
    """A public name, or a method/attribute of a public class (``get_token``)."""
    for module in _public_objects():
        if hasattr(module, name):
            return True
    for module in _public_objects():  # a method of an exported class (`emu.reset()`)
        for exported in getattr(module, "__all__", ()):
            obj = getattr(module, exported, None)
            if isinstance(obj, type) and hasattr(obj, name):
                return True
    return False


def _import_lines() -> list[str]:
    return [
        ast.unparse(node)
        for block in PY_BLOCKS
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith(("httpx_pingone_worker", "pytest_pingone"))
    ]


def _free_names() -> set[str]:
    """CamelCase / called names a block uses but neither defines nor imports."""
    out: set[str] = set()
    for block in PY_BLOCKS:
        tree = ast.parse(block)
        bound: set[str] = set(dir(builtins))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bound.add(node.name)
                bound.update(a.arg for a in node.args.args)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in bound:
                if CAMEL.fullmatch(node.id):
                    out.add(node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id not in bound and "_" in node.func.id:
                    out.add(node.func.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "hpw"
            ):
                out.add(node.attr)
        # Names in comments that are shown as calls: "# DecodedJWT(header, claims, …)".
        for comment in re.findall(r"#[^\n]*", block):
            out.update(m for m in CAMEL.findall(comment) if f"{m}(" in comment)
    return out


def _prose_names() -> set[str]:
    out: set[str] = set()
    for span in SPANS:
        if span in NOT_OURS:
            continue
        out.update(m for m in CAMEL.findall(span) if not hasattr(builtins, m))  # `=True`
        out.update(CALL.findall(span))
    return out


IMPORT_LINES = _import_lines()
NAMES = sorted(_free_names() | _prose_names())


def test_extraction_finds_the_names_the_readme_uses() -> None:
    """The extractor sees what a reader sees (so an empty parametrization cannot pass)."""
    assert "RetryPolicy" in NAMES  # `retry=RetryPolicy(...)`, prose
    assert "DecodedJWT" in NAMES  # a code comment shown as a call
    assert "resolve_settings" in NAMES  # `resolve_settings(...).sources`
    assert "PingOneEmulator" in NAMES
    assert "Metrics" not in NAMES  # defined by the README's own example
    assert "Retry" not in NAMES  # the Retry-After header
    assert any("import PingOneWorkerAuth" in line for line in IMPORT_LINES)


@pytest.mark.parametrize("line", IMPORT_LINES)
def test_readme_import_lines_run(line: str) -> None:
    if "httpx_pingone_worker.httpx2" in line and not HAS_HTTPX2:
        pytest.skip("httpx2 is not installed (the [httpx2] extra, Python >= 3.11)")
    exec(compile(line, "<README>", "exec"), {})  # noqa: S102 - the README's own import line


@pytest.mark.parametrize("name", NAMES)
def test_readme_name_is_public(name: str) -> None:
    if not _resolves(name) and not HAS_HTTPX2:
        pytest.skip(f"`{name}` may live in httpx_pingone_worker.httpx2; httpx2 is not installed")
    assert _resolves(name), (
        f"the README mentions `{name}`, but it is not importable from httpx_pingone_worker "
        f"(nor a method of an exported class, nor in {', '.join(PUBLIC_MODULES[1:])})"
    )


def test_retry_policy_is_exported() -> None:
    from httpx_pingone_worker import PingOneWorkerAuth, RetryPolicy

    policy = RetryPolicy(max_attempts=2)
    # A canary secret: a short common word would be registered process-wide and mask
    # that word in every later test's redaction in this worker.
    from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET

    PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, retry=policy)
    assert "RetryPolicy" in hpw.__all__


#: A docstring cross-reference, ``[`Name`][httpx_pingone_worker.Name]`` (mkdocstrings).
DOC_REF = re.compile(r"\]\[((?:httpx_pingone_worker|pytest_pingone)\.[\w.]+)\]")


def _docstring_refs() -> list[str]:
    refs: set[str] = set()
    for path in SRC.rglob("*.py"):
        refs.update(DOC_REF.findall(path.read_text(encoding="utf-8")))
    return sorted(refs)


DOC_REFS = _docstring_refs()


def test_docstring_references_were_found() -> None:
    assert "httpx_pingone_worker.PingOneWorkerAuth" in DOC_REFS


@pytest.mark.parametrize("ref", DOC_REFS)
def test_docstring_reference_resolves(ref: str) -> None:
    """``[`X`][httpx_pingone_worker.X]`` in a docstring names something that exists."""
    if ref.startswith("httpx_pingone_worker.httpx2") and not HAS_HTTPX2:
        pytest.skip("httpx2 is not installed (the [httpx2] extra, Python >= 3.11)")
    parts = ref.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            assert hasattr(obj, attr), f"{ref}: {attr!r} not found"
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{ref}: no module of it imports")
