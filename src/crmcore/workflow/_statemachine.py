"""A small declarative state machine for lifecycles (orders, payments, invoices, opportunities).

Declare the transitions once; ask which are available to an actor; ``check`` refuses a
transition with [`InvalidTransition`][crmcore.errors.InvalidTransition] (wrong state, failed guard)
or
[`PermissionDenied`][crmcore.errors.PermissionDenied] (missing role), naming the state, the
transition
and the actor.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import attrs

from crmcore.errors import ConfigError, InvalidTransition, PermissionDenied
from crmcore.ports import Actor

__all__ = ["Guard", "StateMachine", "Transition"]

S = TypeVar("S", bound=enum.Enum)

#: A guard looks at the subject and the actor and returns why the transition is refused,
#: or None when it may go ahead. It may also raise PermissionDenied itself (e.g. "only the
#: submitter may withdraw").
Guard = Callable[[Any, Actor], str | None]


def _states(value: Any) -> frozenset[Any]:
    if isinstance(value, enum.Enum):
        return frozenset({value})
    return frozenset(value)


def _roles(value: Iterable[str] | str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


def _guards(value: Iterable[Guard]) -> tuple[Guard, ...]:
    return tuple(value)


def _transitions(value: Iterable[Transition[Any]]) -> tuple[Transition[Any], ...]:
    return tuple(value)


@attrs.frozen
class Transition(Generic[S]):
    """``name`` goes from any of ``sources`` to ``target``, by ``roles`` (None: anyone)."""

    name: str
    sources: frozenset[S] = attrs.field(converter=_states)
    target: S
    roles: frozenset[str] | None = attrs.field(default=None, converter=_roles)
    guards: tuple[Guard, ...] = attrs.field(default=(), converter=_guards)

    def allows(self, actor: Actor) -> bool:
        """True when the actor holds one of the roles (or no role is required)."""
        return self.roles is None or actor.has_role(*self.roles)


@attrs.frozen
class StateMachine(Generic[S]):
    """The states and transitions of one lifecycle; ``name`` appears in error messages."""

    name: str
    states: type[S]
    transitions: tuple[Transition[S], ...] = attrs.field(converter=_transitions)
    _by_name: dict[str, Transition[S]] = attrs.field(init=False, eq=False, repr=False)

    @_by_name.default
    def _index(self) -> dict[str, Transition[S]]:
        index: dict[str, Transition[S]] = {}
        for i, t in enumerate(self.transitions):
            if t.name in index:
                raise ConfigError(f"{self.name}: transitions[{i}].name: duplicate {t.name!r}")
            unknown = [s for s in (*t.sources, t.target) if not isinstance(s, self.states)]
            if unknown:
                raise ConfigError(
                    f"{self.name}: transitions[{i}] ({t.name}): {unknown} are not "
                    f"{self.states.__name__} states"
                )
            index[t.name] = t
        return index

    def transition(self, name: str) -> Transition[S]:
        """The transition called ``name``; ConfigError when the lifecycle has none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ConfigError(
                f"{self.name}: no transition {name!r} (have {sorted(self._by_name)})"
            ) from None

    def available_transitions(
        self, state: S, actor: Actor, subject: object = None
    ) -> list[Transition[S]]:
        """The transitions this actor could make now, in declaration order."""
        result = []
        for t in self.transitions:
            if state in t.sources and t.allows(actor):
                try:
                    refused = any(guard(subject, actor) is not None for guard in t.guards)
                except PermissionDenied:
                    refused = True
                if not refused:
                    result.append(t)
        return result

    def check(self, name: str, state: S, actor: Actor, subject: object = None) -> S:
        """Return the target state of ``name`` from ``state``, or raise saying why not."""
        t = self.transition(name)
        if state not in t.sources:
            allowed = ", ".join(sorted(s.name for s in t.sources))
            raise InvalidTransition(
                f"{self.name}: cannot {name} in state {state.name} "
                f"(only from {allowed}); actor {actor.user_id}"
            )
        if not t.allows(actor):
            roles = ", ".join(sorted(t.roles or ()))
            held = ", ".join(sorted(actor.roles)) or "none"
            raise PermissionDenied(
                f"{self.name}: {actor.user_id} (roles: {held}) "
                f"may not {name} in state {state.name}; requires one of: {roles}"
            )
        for guard in t.guards:
            reason = guard(subject, actor)
            if reason is not None:
                raise InvalidTransition(
                    f"{self.name}: cannot {name} in state {state.name}: {reason}; "
                    f"actor {actor.user_id}"
                )
        return t.target
