"""A griffe extension that gives attrs classes their ``__init__`` signature in the API
reference, the way griffe's own extension does for dataclasses.

attrs writes ``__init__`` at import time, so static analysis sees none: this builds it from
the class's annotated fields (the parents' first), with attrs' rules: a leading underscore is
dropped from the parameter name, ``init=False`` fields and ``ClassVar`` are left out,
``kw_only`` (on the decorator or the field) puts a parameter after ``*``, and ``default=``,
``factory=`` or a plain value is the default. mkdocs.yml loads it (``extensions:``).
"""

from __future__ import annotations

from typing import Any

import griffe

__all__ = ["AttrsInit", "attrs_parameters"]

#: The decorators that make an attrs class (canonical paths, as griffe resolves them).
_DECORATORS = frozenset(
    f"{module}.{name}"
    for module in ("attrs", "attr")
    for name in ("define", "frozen", "mutable", "s", "attrs", "dataclass")
)
_FIELDS = frozenset({"attrs.field", "attr.ib", "attr.attrib", "attr.field"})
_FACTORY = frozenset({"attrs.Factory", "attr.Factory"})


def _decorator(cls: griffe.Class) -> griffe.Expr | None:
    for decorator in cls.decorators:
        value = decorator.value
        path = getattr(value, "canonical_path", None)
        if isinstance(value, griffe.ExprCall):
            path = getattr(value.function, "canonical_path", None)
        if path in _DECORATORS:
            return value if isinstance(value, griffe.Expr) else None
    return None


def _arguments(expr: object) -> dict[str, Any]:
    if not isinstance(expr, griffe.ExprCall):
        return {}
    return {a.name: a.value for a in expr.arguments if isinstance(a, griffe.ExprKeyword)}


def _is_call_to(expr: object, paths: frozenset[str]) -> bool:
    return isinstance(expr, griffe.ExprCall) and (
        getattr(expr.function, "canonical_path", None) in paths
    )


def _is_field(member: object) -> bool:
    if not isinstance(member, griffe.Attribute) or member.annotation is None:
        return False
    if "property" in member.labels:
        return False
    # ClassVar: griffe marks it a class attribute only (an attrs field is an instance one).
    return not ("class-attribute" in member.labels and "instance-attribute" not in member.labels)


def _parameter(member: griffe.Attribute, kw_only: bool) -> griffe.Parameter | None:
    field = _arguments(member.value) if _is_call_to(member.value, _FIELDS) else None
    if field is not None and str(field.get("init")) == "False":
        return None
    default: Any = member.value
    if field is not None:
        if "factory" in field:
            default = griffe.ExprCall(function=field["factory"], arguments=[])
        else:
            default = field.get("default")
    if _is_call_to(default, _FACTORY):
        factory = default.arguments[0] if default.arguments else None
        default = griffe.ExprCall(function=factory, arguments=[]) if factory else default
    alias = field.get("alias") if field else None
    name = str(alias).strip("'\"") if alias is not None else member.name.lstrip("_")
    keyword = kw_only or (field is not None and str(field.get("kw_only")) == "True")
    return griffe.Parameter(
        name,
        annotation=member.annotation,
        kind=griffe.ParameterKind.keyword_only
        if keyword
        else griffe.ParameterKind.positional_or_keyword,
        default=default,
        docstring=member.docstring,
    )


def attrs_parameters(cls: griffe.Class) -> list[griffe.Parameter] | None:
    """The ``__init__`` parameters attrs gives ``cls`` (None: not an attrs class)."""
    decorator = _decorator(cls)
    if decorator is None:
        return None
    options = _arguments(decorator)
    if str(options.get("init")) == "False":
        return []
    try:
        parents = [p for p in reversed(cls.mro()) if _decorator(p) is not None]
    except ValueError:
        parents = []
    by_name: dict[str, griffe.Parameter] = {}
    for owner in (*parents, cls):
        kw_only = str(_arguments(_decorator(owner)).get("kw_only")) == "True"
        for member in owner.members.values():
            if _is_field(member):
                parameter = _parameter(member, kw_only)  # type: ignore[arg-type]
                if parameter is not None:
                    by_name.pop(parameter.name, None)
                    by_name[parameter.name] = parameter
    ordered = list(by_name.values())
    return [p for p in ordered if p.kind is not griffe.ParameterKind.keyword_only] + [
        p for p in ordered if p.kind is griffe.ParameterKind.keyword_only
    ]


class AttrsInit(griffe.Extension):
    """Give every attrs class without a hand-written ``__init__`` the one attrs makes."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        """Build ``__init__`` once the class's members are known."""
        if "__init__" in cls.members:
            return
        parameters = attrs_parameters(cls)
        if parameters is None:
            return
        self_ = griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)
        init = griffe.Function(
            "__init__",
            lineno=cls.lineno,
            endlineno=cls.lineno,
            parent=cls,
            parameters=griffe.Parameters(self_, *parameters),
            returns="None",
        )
        cls.set_member("__init__", init)
