"""A Griffe extension for the documentation site: the reference shows public names only.

``mkdocstrings`` renders what Griffe reads from the sources, private helpers included. This
extension (``extensions:`` in ``mkdocs.yml``) rewrites, for every public class of the
package, what a reader would otherwise see of its private machinery:

- private type variables of a private generic base (``_AuthBase[httpx.Request, ...]``) are
  replaced in signatures by the arguments the public class gives that base
  (``request: _Req`` → ``request: httpx.Request``), and a ``_Self`` type variable by the
  class itself; an inherited method is copied into the public class for that;
- the private protocols of "an httpx or httpx2 object" read as the httpx2 name;
- private parameters (``_blob``, ``_clients``: dataclass fields nobody passes) leave the
  signature;
- ``Bases:`` lists public bases only (``extra["public_view"]["bases"]``, read by the class
  template in ``tools/docs_templates``), so ``_AuthBase[...]`` or a private mixin do not
  show; their members are still rendered as inherited members.

``tests/docs_site`` fails when a private name shows anywhere in the reference.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import griffe

#: Modules whose ``__all__`` is the public API.
PUBLIC_MODULES = (
    "httpx_pingone_worker",
    "httpx_pingone_worker.emulator",
    "httpx_pingone_worker.httpx2",
    "pytest_pingone",
)
#: Private protocols that stand for "the httpx or httpx2 object": httpx's name is beside them.
PROTOCOLS = {
    "_AuthLike": "httpx2.Auth",
    "_TransportLike": "httpx2.BaseTransport",
    "_AsyncTransportLike": "httpx2.AsyncBaseTransport",
}
OURS = ("httpx_pingone_worker", "pytest_pingone")


def _public_names() -> set[str]:
    names: set[str] = set()
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # httpx2 is optional; its names are no bases of others
            continue
        names.update(getattr(module, "__all__", ()))
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _classes(obj: griffe.Object) -> list[griffe.Class]:
    found: list[griffe.Class] = []
    for member in obj.members.values():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Class):
            found.append(member)
            found.extend(_classes(member))
        elif isinstance(member, griffe.Module):
            found.extend(_classes(member))
    return found


def _subscript_args(expr: griffe.Expr) -> list[str]:
    slice_ = expr.slice  # type: ignore[attr-defined]
    items = slice_.elements if isinstance(slice_, griffe.ExprTuple) else [slice_]
    return [str(item).strip("'\"") for item in items]


def _lookup(cls: griffe.Class, expr: griffe.Expr) -> griffe.Object | None:
    try:
        path = expr.canonical_path  # type: ignore[attr-defined]
        return cls.modules_collection[path]  # type: ignore[no-any-return]
    except (KeyError, AttributeError, griffe.AliasResolutionError):
        return None


def _type_map(cls: griffe.Class) -> dict[str, str]:
    """Private type variable → what this public class makes of it."""
    mapping: dict[str, str] = {}
    for base in cls.bases:
        if not isinstance(base, griffe.ExprSubscript):
            continue
        parent = _lookup(cls, base.left)
        if not isinstance(parent, griffe.Class) or not _private(parent.name):
            continue
        params: list[str] = []
        for pbase in parent.bases:
            if isinstance(pbase, griffe.ExprSubscript) and str(pbase.left).endswith("Generic"):
                params = _subscript_args(pbase)
        mapping.update(zip(params, _subscript_args(base), strict=False))
        # A TypeVar bound to the private base (``_Self``) is the public class itself.
        module = parent.module
        for attr in module.members.values():
            if attr.is_alias or not isinstance(attr, griffe.Attribute):
                continue
            value = str(attr.value or "")
            if value.startswith("TypeVar(") and parent.name in value:
                mapping[attr.name] = cls.name
    return mapping


def _substitute(annotation: str | griffe.Expr | None, mapping: dict[str, str]) -> Any:
    if annotation is None:
        return None
    text = str(annotation)
    new = text
    for table in (mapping, PROTOCOLS):
        for name, replacement in table.items():
            new = re.sub(rf"(?<![\w.]){re.escape(name)}\b", replacement, new)
    return annotation if new == text else new


def _public_function(
    func: griffe.Function, mapping: dict[str, str], *, drop_private: bool
) -> griffe.Function | None:
    """A copy of ``func`` with public annotations, or None when nothing needs changing."""
    params = []
    changed = False
    for p in func.parameters:
        if drop_private and _private(p.name):
            changed = True
            continue
        annotation = _substitute(p.annotation, mapping)
        changed |= annotation is not p.annotation
        params.append(
            griffe.Parameter(
                p.name, annotation=annotation, kind=p.kind, default=p.default, docstring=None
            )
        )
    returns = _substitute(func.returns, mapping)
    changed |= returns is not func.returns
    if not changed:
        return None
    new = griffe.Function(
        func.name,
        lineno=func.lineno,
        endlineno=func.endlineno,
        parameters=griffe.Parameters(*params),
        returns=returns,
        decorators=func.decorators,
    )
    if func.docstring is not None:
        new.docstring = griffe.Docstring(
            func.docstring.value,
            lineno=func.docstring.lineno,
            endlineno=func.docstring.endlineno,
            parser=func.docstring.parser,
            parser_options=func.docstring.parser_options,
        )
    new.labels = set(func.labels)
    return new


def _functions(obj: griffe.Object) -> list[griffe.Function]:
    """Public module-level functions of ``obj`` and its submodules."""
    found: list[griffe.Function] = []
    for name, member in obj.members.items():
        if member.is_alias:
            continue
        if isinstance(member, griffe.Function) and not _private(name):
            found.append(member)
        elif isinstance(member, griffe.Module):
            found.extend(_functions(member))
    return found


def _literal(value: object) -> str:
    """``value`` as Python source, sets sorted (the same text on every build)."""
    if isinstance(value, (set, frozenset)):
        inner = ", ".join(sorted(_literal(v) for v in value))
        kind = "frozenset" if isinstance(value, frozenset) else "set"
        return f"{kind}({{{inner}}})" if value else f"{kind}()"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


class PublicView(griffe.Extension):
    """Rewrite public classes so that the reference shows public names only."""

    def __init__(self) -> None:
        self.public = _public_names()

    def _constants(self, pkg: griffe.Module) -> None:
        """A public constant shows its value, not the expression that computes it."""
        for module_name in PUBLIC_MODULES:
            if module_name.split(".")[0] != pkg.name:
                continue
            try:
                module = importlib.import_module(module_name)
                node = pkg.modules_collection[module_name]
            except (ImportError, KeyError):
                continue
            for name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                if not isinstance(value, (str, int, float, tuple, frozenset, set, list, dict)):
                    continue
                try:
                    target = node[name]
                    target = target.final_target if target.is_alias else target
                except (KeyError, griffe.AliasResolutionError):
                    continue
                if isinstance(target, griffe.Attribute):
                    target.value = _literal(value)

    def _public_base(self, base: str | griffe.Expr) -> bool:
        head = str(base).split("[", 1)[0]
        name = head.rsplit(".", 1)[-1]
        if _private(name):
            return False
        path = getattr(base, "canonical_path", head)
        return not str(path).startswith(OURS) or name in self.public

    def on_package(self, *, pkg: griffe.Module, **_kwargs: Any) -> None:
        self._constants(pkg)
        for func in _functions(pkg):
            new = _public_function(func, {}, drop_private=False)
            if new is not None:
                func.parent.set_member(func.name, new)  # type: ignore[union-attr]
        for cls in _classes(pkg):
            if _private(cls.name):
                continue
            cls.extra["public_view"]["bases"] = [b for b in cls.bases if self._public_base(b)]
            mapping = _type_map(cls)
            members: dict[str, Any] = {}
            try:
                members.update(cls.inherited_members)
            except Exception:  # noqa: BLE001 - an unresolvable base: keep Griffe's view
                members = {}
            members.update(cls.members)
            for name, member in members.items():
                if _private(name) and name != "__init__":
                    continue
                try:
                    target = member.final_target if member.is_alias else member
                except griffe.AliasResolutionError:
                    continue
                if not isinstance(target, griffe.Function):
                    continue
                new = _public_function(target, mapping, drop_private=name == "__init__")
                if new is not None:
                    cls.set_member(name, new)
