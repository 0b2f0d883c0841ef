"""Client secrets are stored as salted scrypt hashes and checked in constant time."""

from __future__ import annotations

from hub.auth.client_secrets import dummy_hash, hash_secret, new_secret, verify_secret


def test_a_secret_verifies_against_its_hash_and_nothing_else() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(new_secret(), stored)
    assert secret not in stored
    assert stored.startswith("scrypt$14$8$1$")


def test_the_same_secret_hashes_differently_per_client() -> None:
    secret = new_secret()
    assert hash_secret(secret) != hash_secret(secret)


def test_a_malformed_hash_never_matches() -> None:
    for stored in ("", "plain", "bcrypt$1$2$3$4$5", "scrypt$99$8$1$AAAA$AAAA", "scrypt$x$8$1$A$A"):
        assert not verify_secret("anything", stored)


def test_the_dummy_hash_matches_no_real_secret() -> None:
    assert not verify_secret(new_secret(), dummy_hash())
