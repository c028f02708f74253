"""The declarative state machine the order, payment, invoice and opportunity lifecycles use."""

from __future__ import annotations

import enum

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ConfigError, InvalidTransition, PermissionDenied
from crmcore.ports import Actor
from crmcore.workflow import StateMachine, Transition


class Pay(enum.Enum):
    RECORDED = "recorded"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Other(enum.Enum):
    X = "x"


@attrs.frozen
class Payment:
    recorded_by: str
    amount: int


def not_recorder(payment: Payment, actor: Actor) -> str | None:
    if payment.recorded_by == actor.user_id:
        return f"{actor.user_id} recorded this payment and cannot confirm it"
    return None


def positive(payment: Payment, actor: Actor) -> str | None:
    return None if payment.amount > 0 else "amount must be positive"


def only_admins_reopen(payment: Payment, actor: Actor) -> str | None:
    if not actor.has_role("admin"):
        raise PermissionDenied(f"{actor.user_id} may not reopen")
    return None


PAYMENT = StateMachine(
    "payment",
    Pay,
    [
        Transition("confirm", Pay.RECORDED, Pay.CONFIRMED, "finance", [not_recorder, positive]),
        Transition("reject", Pay.RECORDED, Pay.REJECTED, {"finance", "admin"}),
        Transition(
            "reopen", {Pay.REJECTED, Pay.CONFIRMED}, Pay.RECORDED, None, [only_admins_reopen]
        ),
    ],
)
SAM = Actor("sam", {"sales"})
FIONA = Actor("fiona", {"finance"})
ADA = Actor("ada", {"admin"})


def test_finance_confirms_a_payment_someone_else_recorded() -> None:
    payment = Payment("sam", 100)
    assert PAYMENT.check("confirm", Pay.RECORDED, FIONA, payment) is Pay.CONFIRMED
    names = [t.name for t in PAYMENT.available_transitions(Pay.RECORDED, FIONA, payment)]
    assert names == ["confirm", "reject"]


def test_the_recorder_cannot_confirm_their_own_payment() -> None:
    payment = Payment("fiona", 100)
    with pytest.raises(InvalidTransition) as err:
        PAYMENT.check("confirm", Pay.RECORDED, FIONA, payment)
    assert str(err.value) == (
        "payment: cannot confirm in state RECORDED: fiona recorded this payment and cannot "
        "confirm it; actor fiona"
    )
    assert [t.name for t in PAYMENT.available_transitions(Pay.RECORDED, FIONA, payment)] == [
        "reject"
    ]


def test_wrong_state_names_state_transition_and_actor() -> None:
    with pytest.raises(InvalidTransition) as err:
        PAYMENT.check("confirm", Pay.CONFIRMED, FIONA, Payment("sam", 1))
    assert str(err.value) == (
        "payment: cannot confirm in state CONFIRMED (only from RECORDED); actor fiona"
    )


def test_missing_role_is_permission_denied_naming_the_roles() -> None:
    with pytest.raises(PermissionDenied) as err:
        PAYMENT.check("reject", Pay.RECORDED, SAM)
    assert str(err.value) == (
        "payment: sam (roles: sales) may not reject in state RECORDED; requires one of: "
        "admin, finance"
    )
    with pytest.raises(PermissionDenied, match=r"roles: none"):
        PAYMENT.check("reject", Pay.RECORDED, Actor("nobody"))
    assert PAYMENT.available_transitions(Pay.RECORDED, SAM, Payment("x", 1)) == []


def test_a_guard_may_raise_permission_denied_itself() -> None:
    assert PAYMENT.check("reopen", Pay.REJECTED, ADA) is Pay.RECORDED
    with pytest.raises(PermissionDenied, match="fiona may not reopen"):
        PAYMENT.check("reopen", Pay.REJECTED, FIONA)
    assert PAYMENT.available_transitions(Pay.REJECTED, FIONA) == []
    assert [t.name for t in PAYMENT.available_transitions(Pay.CONFIRMED, ADA)] == ["reopen"]


def test_unknown_transition_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"payment: no transition 'refund' \(have \['confirm'"):
        PAYMENT.transition("refund")


def test_declaration_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"transitions\[1\].name: duplicate 'a'"):
        StateMachine(
            "x",
            Pay,
            [
                Transition("a", Pay.RECORDED, Pay.CONFIRMED),
                Transition("a", Pay.CONFIRMED, Pay.RECORDED),
            ],
        )
    with pytest.raises(ConfigError, match=r"transitions\[0\] \(a\).*are not Pay states"):
        StateMachine("x", Pay, [Transition("a", Pay.RECORDED, Other.X)])


def test_transition_normalises_sources_and_roles() -> None:
    t = Transition("a", Pay.RECORDED, Pay.CONFIRMED, "finance")
    assert t.sources == frozenset({Pay.RECORDED})
    assert t.roles == frozenset({"finance"})
    assert t.allows(FIONA)
    assert not t.allows(SAM)
    assert Transition("b", [Pay.RECORDED], Pay.CONFIRMED).allows(SAM)


@given(st.sampled_from(list(Pay)), st.sampled_from([SAM, FIONA, ADA]), st.integers(-5, 5))
def test_available_transitions_are_exactly_those_check_accepts(
    state: Pay, actor: Actor, amount: int
) -> None:
    payment = Payment("sam", amount)
    available = {t.name for t in PAYMENT.available_transitions(state, actor, payment)}
    for t in PAYMENT.transitions:
        try:
            target = PAYMENT.check(t.name, state, actor, payment)
        except (InvalidTransition, PermissionDenied):
            assert t.name not in available
        else:
            assert t.name in available
            assert target is t.target
