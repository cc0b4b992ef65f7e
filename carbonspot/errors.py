"""One error type for bad user input, so the CLI can print one clear line and exit 2."""

from __future__ import annotations

import warnings
from collections.abc import Iterable


class InputError(Exception):
    """Bad input from a user: a file, a field or a flag, and what would have been allowed.

    Raise it anywhere a user-supplied value is rejected (YAML, ONNX, CLI flag, template
    parameter, infeasible design request). The CLI turns it into ``carbonspot: <message>``
    on stderr and exit code 2, never a traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        field: str | None = None,
        allowed: str | Iterable[object] | None = None,
    ) -> None:
        self.message = message
        self.source = None if source is None else str(source)
        self.field = field
        if allowed is not None and not isinstance(allowed, str):
            allowed = ", ".join(str(a) for a in allowed)
        self.allowed = allowed
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.source, self.field) if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text


class InputWarning(UserWarning):
    """Input that is accepted but not taken as written (a key ignored, a duplicate resolved).

    The CLI prints it as ``carbonspot: warning: <message>`` on stderr; the run goes on.
    """


def warn_input(message: str, *, source: str | None = None, field: str | None = None) -> None:
    """Emit an :class:`InputWarning` naming the file and the field, like :class:`InputError`."""
    where = ": ".join(p for p in (source, field) if p)
    warnings.warn(InputWarning(f"{where}: {message}" if where else message), stacklevel=2)
