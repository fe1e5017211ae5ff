"""Frozen value classes at a fraction of what `dataclasses` costs a short-lived command. Standard library only.

`@record` makes what `@dataclass(frozen=True, slots=True)` makes — `__init__` with defaults and default
factories, `__repr__`, `__eq__`, `__hash__`, `__match_args__`, assignment refused, `__slots__` — and
`replace` is `dataclasses.replace`. Why not dataclasses: importing it imports `inspect` (with `ast`, `dis`,
`tokenize`), and it compiles every method of every class, about 0.8 ms a class here: `claude-tray status`
paid ~18 ms of its ~60 ms for that before it printed a line (CPython 3.11). A record compiles only its `__init__`
(~0.1 ms; it runs once per history reading, so it must be fast), and only once the class has made 16
instances (the first few are bound by a generic `__init__`: a command that makes one settings value or one
pace never compiles theirs); the other methods are shared.
`tests/test_record.py` holds it to dataclasses' behaviour for everything it offers.
Type checkers see a dataclass through `dataclass_transform` (PEP 681).
"""

from __future__ import annotations

import sys
from operator import attrgetter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    from typing_extensions import dataclass_transform

    _T = TypeVar("_T")
else:

    def dataclass_transform(**_options):
        return lambda decorator: decorator


class FrozenRecordError(AttributeError):
    """Assigning to or deleting a field of a record (dataclasses' FrozenInstanceError)."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _Field:
    __slots__ = ("default", "default_factory", "repr")

    def __init__(self, default: object, default_factory: Callable[[], object] | _Missing, repr: bool) -> None:
        self.default, self.default_factory, self.repr = default, default_factory, repr


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] = MISSING, repr: bool = True) -> Any:
    """A field with a default factory (a fresh dict or tuple per instance) or left out of `repr`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, repr)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[_T]) -> type[_T]:
    """The class as a frozen, slotted value type; its fields are its annotations, in order."""
    # The class's own annotations: 3.10+ never hands out a base's (and 3.14 computes them on first access).
    own = cls.__annotations__ if sys.version_info >= (3, 10) else vars(cls).get("__annotations__", {})
    inherited = [f for base in reversed(cls.__mro__[1:]) for f in getattr(base, "__record_fields__", ())]
    specs: dict[str, _Field] = dict(inherited)
    for name, annotation in own.items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        given = cls.__dict__.get(name, MISSING)
        specs[name] = given if isinstance(given, _Field) else _Field(given, MISSING, True)
    names = tuple(specs)
    namespace: dict[str, Any] = {"_set": object.__setattr__, "MISSING": MISSING}
    params, body, seen_default = [], [], False
    for name, spec in specs.items():
        if spec.default is not MISSING:
            namespace[f"_default_{name}"] = spec.default
            params.append(f"{name}=_default_{name}")
            body.append(f"_set(self, {name!r}, {name})")
            seen_default = True
        elif spec.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = spec.default_factory
            params.append(f"{name}=MISSING")
            body.append(f"_set(self, {name!r}, _factory_{name}() if {name} is MISSING else {name})")
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        else:
            params.append(name)
            body.append(f"_set(self, {name!r}, {name})")
    source = "\n    ".join([f"def __init__(self, {', '.join(params)}):", *(body or ["pass"])])
    made: list[Any] = []  # the finished class, for its first instance to find
    calls = [0]  # instances made before the real __init__ is compiled
    setter = object.__setattr__

    def __init__(self: object, *args: object, **kwargs: object) -> None:
        # The real __init__ is compiled only once a class has made a few instances, never at import: a command
        # loads many value classes it never instantiates (`status` builds no ring, no menu, no reading) and
        # makes one or two of many others (its settings, its choice of icon, a pace), for which binding the
        # arguments here costs ~5 µs against the ~0.1 ms of compiling. Anything irregular (a missing, unknown or
        # repeated argument) goes to the real __init__ at once, which raises what Python raises.
        if calls[0] < GENERIC_CALLS and len(args) <= len(names):
            values = dict(zip(names, args))
            for key, value in kwargs.items():
                if key not in specs or key in values:
                    break
                values[key] = value
            else:
                for name in names:
                    spec = specs[name]
                    factory = spec.default_factory
                    if name in values:
                        value = values[name]
                        if value is MISSING and not isinstance(factory, _Missing):
                            value = factory()
                    elif spec.default is not MISSING:
                        value = spec.default
                    elif not isinstance(factory, _Missing):
                        value = factory()
                    else:
                        break
                    setter(self, name, value)
                else:
                    calls[0] += 1
                    return
        # exec of the text, not compile(): compile() checks whether it was given an AST, and that check
        # builds the `ast` node types on first use, ~1.5 ms of every process (measured, CPython 3.11).
        exec(source, namespace)
        init = namespace["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        type.__setattr__(made[0], "__init__", init)
        init(self, *args, **kwargs)

    methods = {"__init__": __init__, "__repr__": _repr, "__eq__": _eq, "__hash__": _hash,
               "__setattr__": _setattr, "__delattr__": _delattr}
    body_dict = {k: v for k, v in cls.__dict__.items() if k not in specs and k not in ("__dict__", "__weakref__")}
    # As dataclasses does: a method the class writes itself stays (Credentials masks its token in __repr__).
    explicit_hash = "__hash__" in body_dict and not (body_dict["__hash__"] is None and "__eq__" in body_dict)
    for method in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        if method in ("__setattr__", "__delattr__") and method in body_dict:
            raise TypeError(f"cannot overwrite {method} in frozen record {cls.__qualname__}")
        if method in body_dict and (method != "__hash__" or explicit_hash):
            continue
        body_dict[method] = methods[method]
    body_dict["__qualname__"] = cls.__qualname__
    body_dict["__slots__"] = tuple(n for n in own if n in specs)
    body_dict["__match_args__"] = names
    body_dict["__record_fields__"] = tuple(specs.items())
    body_dict["__record_shown__"] = tuple(n for n in names if specs[n].repr)
    body_dict["__record_values__"] = _values_getter(names)
    metaclass: Callable[..., type[_T]] = type(cls)
    made.append(metaclass(cls.__name__, cls.__bases__, body_dict))
    return made[0]


# Instances a class makes through the generic __init__ before its own is compiled: a compiled one saves ~4 µs a
# call, and compiling it costs ~0.1 ms (a history of 1,800 readings compiles it at its 17th).
GENERIC_CALLS = 16


# Shared by every record: only `__init__` is compiled per class (it is the one that runs per reading of the
# history); compiling the others too tripled the cost of defining a class.
def _values_getter(names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return attrgetter(*names) if names else lambda obj: ()


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_shown__)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: object) -> bool:
    values = self.__record_values__
    if other.__class__ is not self.__class__:
        return NotImplemented
    return values(self) == values(other)


def _hash(self: Any) -> int:
    return hash(self.__record_values__(self))


def _setattr(self: object, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _delattr(self: object, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def replace(obj: _T, /, **changes: Any) -> _T:
    """A copy of the record with `changes` (dataclasses.replace)."""
    fields = getattr(type(obj), "__record_fields__", None)
    if fields is None:
        raise TypeError("replace() should be called on record instances")
    values = {name: getattr(obj, name) for name, _spec in fields}
    values.update(changes)
    return type(obj)(**values)


