"""Safe names: "Data Backup Script!" -> "data-backup-script", unique with a -2 suffix."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

from etlfabric.errors import Invalid

_NOT_SAFE = re.compile(r"[^a-z0-9]+")
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def slugify(text: str, *, max_length: int = 60, separator: str = "-") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SAFE.sub(separator, ascii_text.lower()).strip(separator)
    return slug[:max_length].rstrip(separator)


def unique_name(base: str, taken: Container[str], *, separator: str = "-") -> str:
    """`base`, or `base-2`, `base-3`... whichever is not taken."""
    if base not in taken:
        return base
    number = 2
    while f"{base}{separator}{number}" in taken:
        number += 1
    return f"{base}{separator}{number}"


def require_text(field: str, value: str | None, *, max_length: int) -> str:
    """Stripped, non-empty text no longer than max_length, or Invalid naming the field."""
    cleaned = (value or "").strip()
    if not cleaned:
        raise Invalid(field, f"{field.replace('_', ' ').capitalize()} is required.")
    if len(cleaned) > max_length:
        raise Invalid(
            field,
            f"{field.replace('_', ' ').capitalize()} must be at most {max_length} characters.",
        )
    return cleaned


def require_identifier(field: str, value: str | None, *, max_length: int = 40) -> str:
    """A lower-case SQL identifier (letters, digits, underscores; starts with a letter)."""
    cleaned = (value or "").strip()
    if not IDENTIFIER.match(cleaned) or len(cleaned) > max_length:
        raise Invalid(
            field,
            f"{field.replace('_', ' ').capitalize()} must start with a lower-case letter and "
            f"contain only lower-case letters, digits and underscores (at most {max_length}).",
        )
    return cleaned
