"""The public surface: ``__all__`` in step with the lazy map and the private modules.

Every lazily exported name must resolve: a module named in ``_LAZY`` that does not exist is
a failure that names it (all of them exist now; a skip here would hide a broken export).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import Any

import pytest

import httpx_pingone_worker as hpw
from httpx_pingone_worker import PingOneError

PACKAGE = "httpx_pingone_worker"
# Names that are not implemented in a private module of their own.
SPECIAL = {"__version__", "hookimpl"}


def module_exists(relative: str) -> bool:
    return importlib.util.find_spec(PACKAGE + relative) is not None


def private_modules() -> list[Any]:
    """Every private module of the library (``_x``, in any layer folder) that declares ``__all__``.

    The emulator and the console are applications on top of the library, not its surface.
    """
    out = []
    for info in pkgutil.walk_packages(hpw.__path__, prefix=f"{PACKAGE}."):
        parts = info.name.split(".")
        if parts[1] in {"emulator", "cli"} or info.ispkg:
            continue
        if parts[-1].startswith("_") and not parts[-1].startswith("__"):
            module = importlib.import_module(info.name)
            if hasattr(module, "__all__"):
                out.append(module)
    return out


def test_all_sorted_and_unique() -> None:
    """__all__ is sorted (plain code-point order) and has no duplicates."""
    assert hpw.__all__ == sorted(hpw.__all__)
    assert len(hpw.__all__) == len(set(hpw.__all__))


def test_lazy_names_are_exported() -> None:
    """Every lazily-resolved name is in __all__, and __all__ holds nothing unaccounted for."""
    assert set(hpw._LAZY) <= set(hpw.__all__)
    eager = {n for n in hpw.__all__ if n not in hpw._LAZY}
    for name in eager:
        assert name in vars(hpw), f"{name} is in __all__ but neither imported nor in _LAZY"


@pytest.mark.parametrize("name", hpw.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    """Each name in __all__ resolves, and comes from a module that lists it in its __all__."""
    relative = hpw._LAZY.get(name)
    assert relative is None or module_exists(relative), f"{PACKAGE}{relative} is missing"
    obj = getattr(hpw, name)
    assert obj is not None
    if name in SPECIAL:
        return
    if relative is not None:
        homes = [importlib.import_module(PACKAGE + relative)]
    else:
        homes = [m for m in private_modules() if name in m.__all__]
    assert homes, f"no private module lists {name} in its __all__"
    home = homes[0]
    assert name in home.__all__, f"{home.__name__}.__all__ lacks {name}"
    assert getattr(home, name) is obj


def test_lazy_targets_that_exist_define_their_names() -> None:
    """Every existing module in _LAZY defines each name mapped to it."""
    for name, relative in hpw._LAZY.items():
        if module_exists(relative):
            module = importlib.import_module(PACKAGE + relative)
            assert hasattr(module, name), f"{PACKAGE}{relative} does not define {name}"


def test_private_all_entries_exist() -> None:
    """Every name a private module lists in __all__ is defined there."""
    for module in private_modules():
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"


def test_every_exception_class_is_exported() -> None:
    """Every PingOneError subclass a private module declares can be imported from the root."""
    exported = set(hpw.__all__)
    for module in private_modules():
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, PingOneError):
                assert name in exported, f"{module.__name__}.{name} is not exported"


def test_unknown_attribute_and_dir() -> None:
    """Unknown names raise AttributeError; dir() lists the lazy names too."""
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        hpw.NoSuchThing  # noqa: B018 - the attribute access is the test
    assert set(hpw._LAZY) <= set(dir(hpw))


def test_no_lazy_module_is_missing() -> None:
    """Every module named in _LAZY exists; a missing one is listed with the names it owes."""
    missing = sorted({rel for rel in hpw._LAZY.values() if not module_exists(rel)})
    names = sorted(n for n, rel in hpw._LAZY.items() if rel in missing)
    assert not missing, f"missing: {', '.join(PACKAGE + m for m in missing)} ({', '.join(names)})"
