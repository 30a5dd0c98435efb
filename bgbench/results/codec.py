"""Dataclasses to JSON and back, field by field from their type hints: the model is the one
description of the format, and the writer and the reader cannot drift apart.

A field's JSON key is its name, or `metadata={"key": ...}`; a field with
`metadata={"stored": False}` lives in another file and is left out. Reading is strict: a
missing key or a value of the wrong type raises `Malformed` naming the key, so a damaged file
is reported, never half-read. A type with `to_json`/`from_json` of its own codes itself.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

T = TypeVar("T")


class Malformed(Exception):
    """A file that parses as JSON but does not hold what the format says."""


def key(field: dataclasses.Field[Any]) -> str:
    name: str = field.metadata.get("key", field.name)
    return name


@functools.cache
def _fields(cls: type) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        (field, hints[field.name])
        for field in dataclasses.fields(cls)
        if field.metadata.get("stored", True)
    )


def to_json(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            key(field): to_json(getattr(value, field.name)) for field, _ in _fields(type(value))
        }
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    decoded: T = _decode(cls, data, cls.__name__)
    return decoded


def from_fields(cls: type[T], data: Any) -> T:
    """A dataclass from its stored fields alone, even where it has a `from_json` of its own
    (which can call this for the fields, then add what it derives)."""
    decoded: T = _dataclass(cls, _map(data, cls.__name__), cls.__name__)
    return decoded


def _decode(hint: Any, data: Any, where: str) -> Any:  # noqa: PLR0911 (one case per kind)
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if data is None:
            return None
        return _decode(options[0], data, where)
    if origin is tuple:
        return tuple(_decode(typing.get_args(hint)[0], v, where) for v in _sequence(data, where))
    if origin in (Mapping, dict):
        _, value_hint = typing.get_args(hint)
        return {
            str(k): _decode(value_hint, v, f"{where}.{k}") for k, v in _map(data, where).items()
        }
    if hint is Any:
        return data
    if isinstance(hint, type) and hasattr(hint, "from_json"):
        return hint.from_json(data)
    if dataclasses.is_dataclass(hint):
        return _dataclass(hint, _map(data, where), where)
    return _scalar(hint, data, where)


def _dataclass(cls: Any, data: Mapping[str, Any], where: str) -> Any:
    values = {}
    for field, hint in _fields(cls):
        name = key(field)
        if name not in data:
            raise Malformed(f"no `{name}` in {where}")
        values[field.name] = _decode(hint, data[name], f"{where}.{name}")
    return cls(**values)


def _scalar(hint: Any, data: Any, where: str) -> Any:
    # JSON has one number type: an int is a fine float, but a bool is no number.
    if hint is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if hint is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if hint in (str, bool) and isinstance(data, hint):
        return data
    raise Malformed(f"`{where}` is {data!r}, not {getattr(hint, '__name__', hint)}")


def _map(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise Malformed(f"`{where}` is {data!r}, not an object")
    return data


def _sequence(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise Malformed(f"`{where}` is {data!r}, not a list")
    return data
