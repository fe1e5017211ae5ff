"""`tray.base.values` keeps every promise `@dataclass(frozen=True)` makes for the values of this package."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from tray.base import values as rec


def _pair():
    """The same value class made by dataclasses and by record."""

    def body(decorate, field):
        class Window:
            key: str
            utilization: float
            resets_at: str | None = None
            models: tuple = field(default_factory=tuple)
            notified: dict = field(default_factory=dict)
            token: str = field(default="", repr=False)

            def doubled(self) -> float:
                return self.utilization * 2

        return decorate(Window)

    return body(dataclasses.dataclass(frozen=True), dataclasses.field), body(rec.record, rec.field)


DC, RC = _pair()


def test_construction_repr_and_defaults_match_dataclasses() -> None:
    for args, kwargs in [(("five_hour", 47.0), {}), (("seven_day",), {"utilization": 21.0, "resets_at": "Thu"}),
                         ((), {"key": "k", "utilization": 1.5, "models": (1,), "token": "secret-testonly"})]:
        made, expected = RC(*args, **kwargs), DC(*args, **kwargs)
        assert repr(made) == repr(expected)
        assert "secret" not in repr(made)
        assert made.doubled() == expected.doubled()
        assert [getattr(made, f.name) for f in dataclasses.fields(DC)] == [
            getattr(expected, f.name) for f in dataclasses.fields(DC)]


def test_missing_or_unknown_arguments_fail_as_with_dataclasses() -> None:
    for bad in [((), {}), (("k",), {}), (("k", 1.0), {"colour": "red"}), (("k", 1.0, None, (), {}, "", 9), {})]:
        with pytest.raises(TypeError):
            DC(*bad[0], **bad[1])
        with pytest.raises(TypeError):
            RC(*bad[0], **bad[1])


def test_default_factories_give_each_instance_its_own_value() -> None:
    a, b = RC("k", 1.0), RC("k", 1.0)
    assert a.notified == {} and a.notified is not b.notified


def test_equality_and_hash_follow_the_fields_and_the_class() -> None:
    assert RC("k", 1.0) == RC("k", 1.0) and RC("k", 1.0) != RC("k", 2.0)
    assert RC("k", 1.0) != DC("k", 1.0)  # another class with the same fields is another value
    assert RC("k", 1.0).__eq__(("k", 1.0)) is NotImplemented
    frozen_tuple_only = rec.record(type("Point", (), {"__annotations__": {"x": "int", "y": "int"}}))
    assert hash(frozen_tuple_only(1, 2)) == hash(dataclasses.dataclass(frozen=True)(
        type("Point", (), {"__annotations__": {"x": "int", "y": "int"}}))(1, 2))
    with pytest.raises(TypeError):  # a dict field is unhashable, as with dataclasses
        hash(RC("k", 1.0))


def test_fields_cannot_be_assigned_or_deleted_or_added() -> None:
    value = RC("k", 1.0)
    with pytest.raises(AttributeError):
        value.utilization = 2.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del value.key  # type: ignore[misc]
    with pytest.raises(AttributeError):
        value.colour = "red"  # type: ignore[attr-defined]
    assert not hasattr(value, "__dict__")


def test_replace_copies_with_changes_like_dataclasses_replace() -> None:
    base_r, base_d = RC("k", 1.0, "Thu", (1,), {"a": (80,)}), DC("k", 1.0, "Thu", (1,), {"a": (80,)})
    assert repr(rec.replace(base_r, utilization=5.0)) == repr(dataclasses.replace(base_d, utilization=5.0))
    assert rec.replace(base_r) == base_r
    with pytest.raises(TypeError):
        rec.replace(base_r, colour="red")
    with pytest.raises(TypeError):
        rec.replace(object())


def test_match_args_and_field_order() -> None:
    assert RC.__match_args__ == DC.__match_args__  # `case Window(key, utilization)` binds the same fields
    assert tuple(name for name, _spec in RC.__record_fields__) == tuple(f.name for f in dataclasses.fields(DC))


def test_a_required_field_after_a_defaulted_one_is_refused() -> None:
    with pytest.raises(TypeError):
        rec.record(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}))


def test_importing_the_value_model_imports_neither_dataclasses_nor_inspect() -> None:
    code = ("import sys, tray.model.state, tray.forecast.projection, tray.show.view, tray.show.report; "
            "print(sorted({'dataclasses', 'inspect', 'typing'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_methods_the_class_writes_itself_are_kept() -> None:
    def masked(decorate):
        class Credentials:
            token: str

            def __repr__(self) -> str:
                return "Credentials(token=[REDACTED])"

        return decorate(Credentials)

    assert repr(masked(rec.record)("sk-testonly")) == repr(masked(dataclasses.dataclass(frozen=True))("sk-testonly"))


def test_a_class_whose_first_construction_fails_still_constructs_afterwards() -> None:
    fresh = rec.record(type("Fresh", (), {"__annotations__": {"a": "int", "b": "int"}, "b": 2}))
    with pytest.raises(TypeError):
        fresh()  # the first call compiles the real __init__, then fails as dataclasses would
    assert repr(fresh(1)) == "Fresh(a=1, b=2)" and fresh(1) == fresh(a=1, b=2)


def test_the_first_instances_and_those_after_the_class_compiles_its_init_are_the_same() -> None:
    """A class's first instances are bound by a generic __init__, later ones by its compiled one: both as
    dataclasses binds them, arguments passed positionally, by keyword, left to defaults or to factories."""
    dc, rc = _pair()
    calls = [(("five_hour", 47.0), {}), (("seven_day",), {"utilization": 21.0, "resets_at": "Thu"}),
             ((), {"key": "k", "utilization": 1.5, "models": (1,), "token": "secret-testonly"}),
             (("k", 2.0, None, rec.MISSING), {})]  # a factory's field given MISSING: the factory still runs
    bad = [((), {}), (("k",), {}), (("k", 1.0), {"colour": "red"}), (("k", 1.0), {"key": "again"}),
           (("k", 1.0, None, (), {}, "", 9), {})]
    for _ in range(rec.GENERIC_CALLS // len(calls) + 2):  # through the generic binding and past it
        for args, kwargs in calls:
            made = rc(*args, **kwargs)
            expected = dc(*args[:3]) if rec.MISSING in args else dc(*args, **kwargs)
            assert [getattr(made, f.name) for f in dataclasses.fields(dc)] == [
                getattr(expected, f.name) for f in dataclasses.fields(dc)]
        for args, kwargs in bad:
            with pytest.raises(TypeError):
                rc(*args, **kwargs)
    assert "<locals>.__init__" not in rc.__init__.__qualname__  # compiled by now
