"""The till's own Ed25519 key, which signs its journal (DESIGN.md §9).

Made on first use and kept in the OS keyring (``kasa`` / ``journal-key:<till>``). A
machine without one (a headless till, CI) cannot stop selling for want of a keyring, so
there the key goes into a file of Kasa's data directory, ``journal-keys/<till>.key``,
that only the till's user may read (mode 0600, its folder 0700); the README says so.
``POS_JOURNAL_KEY_DIR`` names another folder for those files and is used even where a
keyring exists (the tests point it at a scratch folder, so they touch neither).

Only the private key lives here; its public half is in the store (``till_keys``), so any
machine can verify the journal. Loaded keys are cached for the process: a sale does not
ask the keyring each time.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path

import keyring
import keyring.errors
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pos.credentials import SERVICE, keyring_available
from pos.settings import data_dir

KEY_DIR_ENV = "POS_JOURNAL_KEY_DIR"
KEYRING = "keyring"

_lock = threading.Lock()
_cache: dict[tuple[str, str], Ed25519PrivateKey] = {}


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw 32 bytes of the key's public half, as ``till_keys`` keeps them."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(public_key: bytes) -> str:
    """A public key as people compare it: its first 16 hex digits, in groups of four."""
    digits = public_key.hex()[:16]
    return " ".join(digits[i : i + 4] for i in range(0, 16, 4))


def key_place(environ: Mapping[str, str] = os.environ) -> str:
    """Where this machine keeps its till keys: ``keyring`` or a folder's path."""
    override = environ.get(KEY_DIR_ENV)
    if override:
        return override
    if keyring_available():
        return KEYRING
    return str(data_dir() / "journal-keys")


def till_key(till_code: str, environ: Mapping[str, str] = os.environ) -> Ed25519PrivateKey:
    """The key that signs ``till_code``'s journal on this machine; made if there is none."""
    place = key_place(environ)
    with _lock:
        key = _cache.get((place, till_code))
        if key is None:
            key = _load(place, till_code)
            if key is None:
                key = _make(place, till_code)
            _cache[(place, till_code)] = key
        return key


def _encode(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes_raw()
    return base64.b64encode(raw).decode("ascii")


def _decode(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip()))


def _entry(till_code: str) -> str:
    return f"journal-key:{till_code}"


def _file(place: str, till_code: str) -> Path:
    # A code is short and plain ("T01"); anything else is spelt in hex for the file's name.
    safe = (
        till_code if re.fullmatch(r"[A-Za-z0-9_-]{1,32}", till_code) else till_code.encode().hex()
    )
    return Path(place) / f"{safe}.key"


def _load(place: str, till_code: str) -> Ed25519PrivateKey | None:
    if place == KEYRING:
        try:
            text = keyring.get_password(SERVICE, _entry(till_code))
        except keyring.errors.KeyringError:
            text = None
        return _decode(text) if text else None
    try:
        return _decode(_file(place, till_code).read_text(encoding="ascii"))
    except FileNotFoundError:
        return None


def _make(place: str, till_code: str) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    if place == KEYRING:
        keyring.set_password(SERVICE, _entry(till_code), _encode(key))
        return key
    path = _file(place, till_code)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    # Created with its mode: the key is never readable by others, not even for a moment;
    # written whole before it takes its name, so no other process reads half of it.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(_encode(key) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process of this till made it first: use that one
            loaded = _load(place, till_code)
            assert loaded is not None
            return loaded
    finally:
        temporary.unlink(missing_ok=True)
    return key
