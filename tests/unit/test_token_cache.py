"""A token seen again is not verified again, and still expires, and is still revoked."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auth import validate
from hub.auth.errors import AuthError
from hub.auth.jwks import CachedKeys
from hub.auth.validate import Issuer, TokenValidator
from tests.oauth_support import claims_for, ec_key, sign
from tests.unit.test_token_validator import AUDIENCE, ISSUER, NOW, MemoryKeys, Revoked


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature the validator checked, in order."""
    checked: list[str] = []
    real = validate.verify

    def counting(token: str, *args: Any) -> dict[str, Any]:
        checked.append(token)
        return real(token, *args)

    monkeypatch.setattr(validate, "verify", counting)
    return checked


def validator(source: MemoryKeys, revoked: Revoked) -> TokenValidator:
    keys = CachedKeys(source, refresh_interval=60, max_age=300)
    return TokenValidator([Issuer(ISSUER, AUDIENCE, keys, revoked)], leeway=30, clock=lambda: NOW)


async def test_a_token_seen_again_is_verified_once(verifications: list[str]) -> None:
    key = ec_key()
    v = validator(MemoryKeys(key), Revoked())
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, purpose="ppdb"))
    first = await v.authenticate(token)
    for _ in range(5):
        assert await v.authenticate(token) == first
    assert len(verifications) == 1
    other = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW))
    assert (await v.authenticate(other)).token_id != first.token_id
    assert len(verifications) == 2


async def test_a_remembered_token_still_expires(verifications: list[str]) -> None:
    key = ec_key()
    v = validator(MemoryKeys(key), Revoked())
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW - 600))  # exp == NOW
    assert await v.authenticate(token, now=NOW)
    with pytest.raises(AuthError) as caught:
        await v.authenticate(token, now=NOW + 30)
    assert caught.value.description.startswith("the token expired at")
    assert len(verifications) == 1


async def test_a_remembered_token_of_a_client_revoked_since_is_refused() -> None:
    key = ec_key()
    revoked = Revoked()
    v = validator(MemoryKeys(key), revoked)
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW))
    assert await v.authenticate(token)
    revoked.client_ids.add("ch_partner")
    with pytest.raises(AuthError) as caught:
        await v.authenticate(token)
    assert caught.value.description == "client ch_partner was revoked"


async def test_a_remembered_token_whose_key_was_withdrawn_is_refused(
    verifications: list[str],
) -> None:
    key = ec_key()
    source = MemoryKeys(key)
    v = validator(source, Revoked())
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW + 300))
    assert await v.authenticate(token, now=NOW + 300)
    source.keys = [ec_key()]  # the issuer rotates the key out; the next refresh sees it
    with pytest.raises(AuthError) as caught:
        await v.authenticate(token, now=NOW + 600)  # past max_age: the keys are refetched
    assert caught.value.description.startswith(f"key {key.kid} is not published")
    assert len(verifications) == 1


async def test_a_forged_signature_on_remembered_claims_is_still_refused() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key), Revoked())
    claims = claims_for(ISSUER, AUDIENCE, NOW)
    assert await v.authenticate("Bearer " + sign(key, claims))
    forged = "Bearer " + sign(ec_key(), claims, kid=key.kid)  # same claims, another key
    with pytest.raises(AuthError) as caught:
        await v.authenticate(forged)
    assert caught.value.description.startswith("the signature does not verify")
