"""What every command shares: the one-line usage error, and loading the key as a usage error."""
from __future__ import annotations


class UsageError(Exception):
    """The command cannot start; the message is one line for the user (exit status 2)."""


def load_key() -> bytes:
    """The pseudonymisation key, or a :class:`UsageError` saying how to set one."""
    from forum_anecdotes import keys

    try:
        return keys.load_key()
    except (keys.KeyMissing, keys.KeyTooShort) as e:
        raise UsageError(str(e)) from None
