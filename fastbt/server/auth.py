"""API tokens: created once, stored only as salted scrypt hashes, checked in constant time.

A token reads ``fbt.<key id>.<secret>``. The key id (public, indexed) finds the
user; the 256-bit secret is checked against ``scrypt(secret, salt)``. Because
scrypt is slow on purpose, the digests of tokens that already passed are kept in
a small in-memory cache, so a client's later requests skip it (the cache holds
SHA-256 digests, never tokens).
"""

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fastbt.server.db import Database, User

PREFIX = "fbt"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_CACHE_SIZE = 1024


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


def create_user(db: Database, name: str) -> str:
    """Add user ``name`` and return their new token (shown once; only its hash is kept)."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        raise ValueError("user name must be 1-100 characters")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    user = User(name=name, key_id=key_id, token_salt=salt, token_hash=_hash(secret, salt))
    try:
        with db.session() as session, session.begin():
            session.add(user)
    except IntegrityError:
        raise ValueError(f"user {name!r} already exists") from None
    return f"{PREFIX}.{key_id}.{secret}"


class TokenChecker:
    """Maps bearer tokens to user ids, remembering tokens that passed recently."""

    def __init__(self, db: Database):
        self.db = db
        self._passed: OrderedDict[bytes, int] = OrderedDict()
        self._lock = threading.Lock()

    def user_id(self, token: str) -> int | None:
        """The id of the user owning ``token``, or None if it is not a valid token."""
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            if digest in self._passed:
                self._passed.move_to_end(digest)
                return self._passed[digest]
        prefix, _, rest = token.partition(".")
        key_id, _, secret = rest.partition(".")
        if prefix != PREFIX or not key_id or not secret:
            return None
        with self.db.session() as session:
            row = session.execute(
                select(User.id, User.token_salt, User.token_hash).where(User.key_id == key_id)
            ).first()
        if row is None or not hmac.compare_digest(_hash(secret, row.token_salt), row.token_hash):
            return None
        with self._lock:
            self._passed[digest] = row.id
            while len(self._passed) > _CACHE_SIZE:
                self._passed.popitem(last=False)
        return row.id
