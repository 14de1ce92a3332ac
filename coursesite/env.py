"""Reading settings from environment variables: one strict reader per kind, importable without Django settings.

A value the reader does not understand is refused (ImproperlyConfigured naming the variable, the value and what is
accepted) instead of being read as false or failing later with a bare ValueError. An unset or empty variable gives
the default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    """The variable's value, stripped; None when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or None


def envbool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes or no: use 1/0, true/false, yes/no or on/off (any case), "
        f"or leave it empty for the default ({'on' if default else 'off'})."
    )


def envint(name: str, default: int) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number: use digits such as {default}, or leave it empty for the default."
        ) from None


def envfloat(name: str, default: float) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a number: use digits such as {default:g} (seconds may have decimals, "
            "e.g. 0.5), or leave it empty for the default."
        ) from None


def envlist(name: str, default: str) -> list[str]:
    """A comma-separated list (empty items dropped); unset or empty, the default's items."""
    value = _raw(name)
    return [item.strip() for item in (default if value is None else value).split(",") if item.strip()]
