"""Dataclasses read back from what a file holds (a JSON object, a model file's dict), field by
field and typed, so that a bad field is named, never passed on.

The owner of each format wraps :class:`FieldError` in its own typed error, which names the file.
"""

from dataclasses import MISSING, fields, is_dataclass
from types import UnionType
from typing import Literal, get_args, get_origin, get_type_hints


class FieldError(ValueError):
    """A value that is not the dataclass that it stands for; the message names the fields at fault."""


def read_fields(kind, values):
    """A ``kind`` (a dataclass) from a dict of its fields, each a value of the field's type (an int
    is a float too but no bool; a field of a ``Literal`` type takes any value of its values' type;
    a field of a dataclass type takes a dict of that dataclass's fields); fields with a default may
    be absent. Raises :class:`FieldError` naming every field that is unknown, missing or of another type."""
    if not isinstance(values, dict):
        raise FieldError(f"not a {kind.__name__}")
    types = get_type_hints(kind)
    wrong = [str(key) for key, value in values.items() if key not in types or not _fits(value, types[key])]
    wrong += [f.name for f in fields(kind) if f.default is MISSING and f.default_factory is MISSING and f.name not in values]
    if wrong:
        raise FieldError(", ".join(wrong))
    return kind(**{key: _typed(key, value, types[key]) for key, value in values.items()})


def _fits(value, kind) -> bool:
    """Whether ``value`` is of type ``kind`` (see :func:`read_fields`)."""
    if isinstance(kind, UnionType):
        return any(_fits(value, member) for member in get_args(kind))
    if get_origin(kind) is Literal:
        return any(type(value) is type(choice) for choice in get_args(kind))
    if get_origin(kind) is not None:  # dict[str, float] and the like: a value of its container type
        return isinstance(value, get_origin(kind))
    if kind is float:
        return type(value) in (int, float)
    if is_dataclass(kind):
        return isinstance(value, dict)  # its own fields are checked as it is read
    return type(value) is kind


def _typed(key: str, value, kind):
    """``value``, or the dataclass of ``kind`` that a dict stands for."""
    nested = [member for member in (get_args(kind) or (kind,)) if is_dataclass(member)]
    if not nested or not isinstance(value, dict):
        return value
    try:
        return read_fields(nested[0], value)
    except FieldError as error:
        raise FieldError(f"{key}: {error}") from None
