"""The pseudonymisation key, and keyed digests: one implementation used by every stage.

The key turns author handles into pseudonyms and source ids into published ids. It comes from
``$FORUM_ANECDOTES_KEY`` or the key file (``~/.config/forum-anecdotes/pseudonym.key``, outside the
work tree, never committed). The same key gives the same pseudonyms and ids in every build; another
key gives others. :func:`key_id` names a key without revealing it, so that files made with one key
(the corpus, the gold labels) can say which.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from forum_anecdotes.paths import KEY_ENV_VAR, KEY_FILE

#: by trying every known handle.
MIN_KEY_BYTES = 16


class KeyTooShort(ValueError):
    """The configured key is shorter than :data:`MIN_KEY_BYTES` (its value is never shown)."""


class KeyMissing(RuntimeError):
    """No pseudonymisation key is configured."""

    def __init__(self, key_file: Path | None = None, env_var: str = KEY_ENV_VAR):
        key_file = KEY_FILE if key_file is None else key_file
        super().__init__(
            f"no pseudonymisation key: set ${env_var} to a secret of at least {MIN_KEY_BYTES} characters, "
            f"or run `python scripts/make_key.py` to create {key_file}. Keep the key: another key gives "
            f"every author a different pseudonym."
        )


def load_key(*, env_var: str = KEY_ENV_VAR, key_file: Path | None = None) -> bytes:
    """The pseudonymisation key: the environment variable if set, else the key file.

    The key is the UTF-8 bytes of the variable's value or of the file's text, surrounding
    whitespace removed; the same secret gives the same key from either place.

    Args:
        env_var: the environment variable to read first (an empty value counts as unset).
        key_file: the file to read when the variable is unset; None: :data:`~forum_anecdotes.paths.KEY_FILE`
            (looked up at call time, so that tests and tools can point it elsewhere).

    Returns:
        The key bytes.

    Raises:
        KeyMissing: when neither the variable nor the file holds a key.
        KeyTooShort: when the key is shorter than :data:`MIN_KEY_BYTES` bytes.
    """
    value = os.environ.get(env_var, "").strip()
    where = f"${env_var}"
    if not value:
        key_file = Path(KEY_FILE if key_file is None else key_file)
        if not key_file.is_file():
            raise KeyMissing(key_file, env_var)
        value = key_file.read_text(encoding="utf-8").strip()
        where = str(key_file)
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise KeyTooShort(
            f"the pseudonymisation key in {where} is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed "
            f"(run `python scripts/make_key.py` for a random one)"
        )
    return key


def create_key_file(path: Path | None = None) -> Path:
    """Write a new random key (32 bytes, hex) to ``path``, readable by its owner only (mode 0600).

    The file appears atomically: a reader sees no file or the whole key, never part of one.

    Args:
        path: where to write the key (None: :data:`~forum_anecdotes.paths.KEY_FILE`); missing parent
            folders are created (mode 0700).

    Returns:
        ``path``.

    Raises:
        FileExistsError: when ``path`` exists. A key is never overwritten: a new key would give
            every author a new pseudonym.
    """
    path = Path(KEY_FILE if path is None else path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; refusing to overwrite a pseudonymisation key")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits; this makes the mode exact
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link() fails if the target exists, so two concurrent callers cannot both win
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"{path} already exists; refusing to overwrite a pseudonymisation key") from None
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    return path


def keyed_digest(value: str, *, key: bytes, length: int = 16) -> str:
    """A keyed, irreversible digest of ``value``: the first ``length`` hex digits of HMAC-SHA256.

    Args:
        value: the text to digest (e.g. a source's native post id).
        key: the pseudonymisation key.
        length: hex digits to keep, 1 to 64.

    Returns:
        Lowercase hex string of ``length`` characters.
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64, not {length}")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


def key_id(key: bytes) -> str:
    """A short public name of a key: tells whether two files were made with the same key, reveals nothing.

    Args:
        key: the pseudonymisation key.

    Returns:
        12 hex digits.
    """
    return keyed_digest("forum-anecdotes key id", key=key, length=12)
