"""One small registry type shared by every method family (datasets, models, ...).

Mirrors PyG's ``nn/resolver.py``: a family is a name -> spec mapping that refuses
duplicates and, for an unknown name, raises a ``ValueError`` listing the choices.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T")


def normalize(name: str) -> str:
    """Registry keys are short and lowercase; ``GraphSAGE`` and ``graph_sage`` are the same."""
    return name.strip().lower().replace("_", "").replace("-", "")


class Registry(Generic[T]):
    """A named family of specs (e.g. ``MODELS``), filled once at import by ``register``."""

    def __init__(self, family: str) -> None:
        self.family = family
        self._specs: dict[str, T] = {}

    def add(self, name: str, spec: T) -> None:
        key = normalize(name)
        if key in self._specs:
            raise KeyError(f"{self.family} {name!r} registered twice")
        self._specs[key] = spec

    def register(self, name: str, make_spec: Callable[[Callable], T]) -> Callable[[Callable], Callable]:
        """Decorator form: ``make_spec`` wraps the decorated function into the family's spec."""

        def add(fn: Callable) -> Callable:
            self.add(name, make_spec(fn))
            return fn

        return add

    def get(self, name: str) -> T:
        spec = self._specs.get(normalize(name))
        if spec is None:
            raise ValueError(f"unknown {self.family} {name!r}; choose one of {self.names()}")
        return spec

    def config(self, name: str, params: dict[str, Any]) -> BaseModel:
        """Validate ``params`` with the ``config_cls`` of ``name``'s spec.

        Errors name the family, the method and (from pydantic) the bad field and value.
        """
        spec = self.get(name)
        try:
            return spec.config_cls(**params)
        except (ValidationError, ValueError) as err:
            raise ValueError(f"{self.family} {name!r}: invalid parameters: {err}") from err

    def names(self) -> list[str]:
        return sorted(self._specs)

    def __contains__(self, name: str) -> bool:
        return normalize(name) in self._specs

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
