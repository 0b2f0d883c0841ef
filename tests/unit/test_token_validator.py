"""The token pipeline on in-memory keys: each step refuses with its own RFC 6750 error."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from pathlib import Path

import pytest
from joserfc.jwk import ECKey, Key

from hub.auth.errors import AuthError
from hub.auth.jwks import CachedKeys, KeysUnavailable
from hub.auth.validate import Issuer, TokenValidator
from hub.settings import AuthSettings, SettingsError, load_settings
from tests.oauth_support import CITIZEN_NIK, claims_for, ec_key, sign

ISSUER = "https://hub.example.id"
AUDIENCE = "citizen-hub"
NOW = 1_800_000_000.0


class MemoryKeys:
    """A key source holding public keys in memory; ``fail`` makes fetches fail."""

    def __init__(self, *keys: ECKey) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.fail = False

    async def fetch(self) -> list[Key]:
        self.fetches += 1
        await asyncio.sleep(0)  # a real fetch waits on I/O, letting other requests run
        if self.fail:
            raise KeysUnavailable("down")
        return [ECKey.import_key(k.as_dict(private=False)) for k in self.keys]


class Revoked:
    def __init__(self, *client_ids: str) -> None:
        self.client_ids = set(client_ids)

    async def problem(self, client_id: str, now: float) -> str | None:
        return f"client {client_id} was revoked" if client_id in self.client_ids else None


def validator(source: MemoryKeys, *revoked: str) -> TokenValidator:
    keys = CachedKeys(source, refresh_interval=60, max_age=300)
    return TokenValidator(
        [Issuer(ISSUER, AUDIENCE, keys, Revoked(*revoked))], leeway=30, clock=lambda: NOW
    )


async def refusal(v: TokenValidator, header: str | None, now: float = NOW) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await v.authenticate(header, now=now)
    return caught.value


async def test_a_valid_token_gives_its_principal() -> None:
    key = ec_key()
    claims = claims_for(ISSUER, AUDIENCE, NOW, nik=CITIZEN_NIK, purpose="ppdb")
    principal = await validator(MemoryKeys(key)).authenticate("Bearer " + sign(key, claims))
    assert principal.issuer == ISSUER
    assert principal.client_id == "ch_partner"
    assert principal.scopes == {"siak:profile", "psb:read"}
    assert principal.nik == CITIZEN_NIK
    assert principal.purpose == "ppdb"
    assert principal.token_id == claims["jti"]
    assert principal.expires_at == int(NOW) + 600


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Token abc"])
async def test_no_bearer_credentials_get_a_bare_challenge(header: str | None) -> None:
    error = await refusal(validator(MemoryKeys(ec_key())), header)
    assert (error.status, error.error) == (401, None)
    assert error.www_authenticate == 'Bearer realm="citizen-hub"'


@pytest.mark.parametrize("header", ["Bearer", "Bearer  ", "Bearer a b", 'Bearer "quoted"'])
async def test_a_malformed_header_is_an_invalid_request(header: str) -> None:
    error = await refusal(validator(MemoryKeys(ec_key())), header)
    assert (error.status, error.error) == (400, "invalid_request")
    assert error.www_authenticate.startswith('Bearer realm="citizen-hub", error="invalid_request"')


async def test_expiry_allows_the_leeway_and_no_more() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW - 600))  # exp == NOW
    assert (await v.authenticate(token, now=NOW + 29)).client_id == "ch_partner"
    error = await refusal(v, token, now=NOW + 30)
    assert error.www_authenticate == (
        'Bearer realm="citizen-hub", error="invalid_token",'
        ' error_description="the token expired at 2027-01-15T08:00:00Z (leeway 30 s)"'
    )


async def test_the_header_value_never_carries_unsafe_characters() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    claims = claims_for('evil"\r\nSet-Cookie: x=1', AUDIENCE, NOW)
    error = await refusal(v, "Bearer " + sign(key, claims))
    assert "\r" not in error.www_authenticate and "\n" not in error.www_authenticate
    assert error.www_authenticate.count('"') == 6  # realm, error, error_description


async def test_an_unknown_kid_refetches_at_most_once_per_interval() -> None:
    known, rotated = ec_key(), ec_key()
    source = MemoryKeys(known)
    v = validator(source)
    assert await v.authenticate("Bearer " + sign(known, claims_for(ISSUER, AUDIENCE, NOW)))
    assert source.fetches == 1
    source.keys.append(rotated)  # the issuer publishes a new key
    fresh = "Bearer " + sign(rotated, claims_for(ISSUER, AUDIENCE, NOW))
    assert (await refusal(v, fresh, now=NOW + 59)).description.startswith("key ")
    assert source.fetches == 1  # refreshed less than 60 s ago: no refetch
    assert await v.authenticate(fresh, now=NOW + 60)
    assert source.fetches == 2
    for _ in range(5):  # a flood of made-up kids
        await refusal(v, "Bearer " + sign(ec_key(), claims_for(ISSUER, AUDIENCE, NOW)), NOW + 61)
    assert source.fetches == 2


async def test_requests_arriving_together_share_one_fetch() -> None:
    key = ec_key()
    source = MemoryKeys(key)
    v = validator(source)
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW))
    await asyncio.gather(*(v.authenticate(token) for _ in range(10)))
    assert source.fetches == 1
    source.fail = True
    v = validator(source)
    errors = await asyncio.gather(*(refusal(v, token) for _ in range(10)))
    assert {e.status for e in errors} == {503}
    assert source.fetches == 2


async def test_keys_fetched_before_are_kept_when_a_refresh_fails() -> None:
    key = ec_key()
    source = MemoryKeys(key)
    v = validator(source)
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW + 400))
    assert await v.authenticate(token, now=NOW + 400)
    source.fail = True
    assert await v.authenticate(token, now=NOW + 800)  # past max_age: refetch fails, old keys
    assert source.fetches == 2


async def test_keys_never_fetched_make_the_answer_503() -> None:
    source = MemoryKeys(ec_key())
    source.fail = True
    error = await refusal(
        validator(source), "Bearer " + sign(ec_key(), claims_for(ISSUER, AUDIENCE, NOW))
    )
    assert (error.status, error.error) == (503, "temporarily_unavailable")


async def test_a_revoked_client_is_refused() -> None:
    key = ec_key()
    error = await refusal(
        validator(MemoryKeys(key), "ch_partner"),
        "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW)),
    )
    assert error.description == "client ch_partner was revoked"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nik": "3671019999990000"}, "the nik claim is not a NIK (birth_date)"),
        ({"nik": 3671014107900003}, "the nik claim must be a string of 16 digits"),
        ({"purpose": "Not A Code"}, "the purpose claim is not a purpose code"),
        ({"scope": ["psb:read"]}, "the scope claim must be a space-separated string"),
        ({"client_id": None}, "the token has no client_id claim"),
        ({"jti": None}, "the token has no jti claim"),
    ],
)
async def test_claims_of_the_wrong_shape_are_refused(
    changes: dict[str, object], expected: str
) -> None:
    key = ec_key()
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, **changes))
    assert (await refusal(validator(MemoryKeys(key)), token)).description == expected


def test_symmetric_algorithms_cannot_be_allowed() -> None:
    for algorithms in (["HS256"], ["ES256", "none"]):
        with pytest.raises(ValueError, match="only asymmetric"):
            TokenValidator([], algorithms=algorithms)


# --- Time claims: finite NumericDates, a bounded lifetime, nothing from the future ------

NUMERIC_DATE = "must be a NumericDate (seconds since 1970 as a JSON number)"


@pytest.mark.parametrize("claim", ["iat", "nbf", "exp"])
@pytest.mark.parametrize(
    ("value", "shown_as"),
    [
        (math.nan, "not NaN"),
        (math.inf, "not Infinity"),
        (-math.inf, "not -Infinity"),
        ("1800000000", "not a string"),
        (True, "not a boolean"),
        ([1800000000], "not an array"),
        ({"t": 1800000000}, "not an object"),
    ],
)
async def test_a_time_claim_that_is_not_a_finite_number_is_refused_naming_the_claim(
    claim: str, value: object, shown_as: str
) -> None:
    key = ec_key()
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, **{claim: value}))
    error = await refusal(validator(MemoryKeys(key)), token)
    assert (error.status, error.error) == (401, "invalid_token")
    assert error.description == f"the {claim} claim {NUMERIC_DATE}, {shown_as}"


@pytest.mark.parametrize("claim", ["iat", "nbf", "exp"])
@pytest.mark.parametrize("value", [10**20, -(10**20), 1e300, -1, 253_402_300_800, 10**4000])
async def test_a_time_claim_outside_1970_to_9999_is_refused_naming_the_claim(
    claim: str, value: float
) -> None:
    key = ec_key()
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, **{claim: value}))
    error = await refusal(validator(MemoryKeys(key)), token)
    assert (error.status, error.error) == (401, "invalid_token")
    assert error.description == (
        f"the {claim} claim is out of range: a NumericDate falls between 1970 and 9999"
    )


async def test_a_token_valid_for_longer_than_the_maximum_lifetime_is_refused() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    assert v.max_lifetime == 24 * 3600  # the default, for every issuer
    day = claims_for(ISSUER, AUDIENCE, NOW, exp=int(NOW) + 24 * 3600)
    assert await v.authenticate("Bearer " + sign(key, day))
    longer = claims_for(ISSUER, AUDIENCE, NOW, exp=int(NOW) + 24 * 3600 + 1)
    error = await refusal(v, "Bearer " + sign(key, longer))
    assert (error.status, error.error) == (401, "invalid_token")
    assert error.description == (
        "the token is valid for 86401 s (exp - iat), longer than the 24 h accepted here"
    )
    ten_years = claims_for(ISSUER, AUDIENCE, NOW, exp=int(NOW) + 10 * 365 * 86400)
    assert (await refusal(v, "Bearer " + sign(key, ten_years))).description == (
        "the token is valid for 3650 days (exp - iat), longer than the 24 h accepted here"
    )


async def test_the_lifetime_counts_from_iat_so_a_backdated_long_token_stays_refused() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    # Issued two days ago, valid for three: one day left, but three is over the maximum.
    claims = claims_for(ISSUER, AUDIENCE, NOW - 2 * 86400, exp=int(NOW) + 86400)
    assert (await refusal(v, "Bearer " + sign(key, claims))).description.startswith(
        "the token is valid for 3 days (exp - iat)"
    )


async def test_the_maximum_lifetime_is_a_setting_of_the_validator() -> None:
    key = ec_key()
    keys = CachedKeys(MemoryKeys(key), refresh_interval=60, max_age=300)
    v = TokenValidator([Issuer(ISSUER, AUDIENCE, keys)], max_lifetime=300, clock=lambda: NOW)
    error = await refusal(v, "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW)))
    assert error.description == (
        "the token is valid for 10 min (exp - iat), longer than the 5 min accepted here"
    )
    for wrong in (0, -1):
        with pytest.raises(ValueError, match="max_lifetime"):
            TokenValidator([], max_lifetime=wrong)


async def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    soon = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW + 30, nbf=None))
    assert await v.authenticate(soon)  # 30 s ahead: within the leeway
    later = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW + 31, nbf=None))
    error = await refusal(v, later)
    assert (error.status, error.error) == (401, "invalid_token")
    assert error.description == "the token was issued in the future (2027-01-15T08:00:31Z)"
    assert await v.authenticate(later, now=NOW + 1)  # the clock catches up


async def test_a_token_not_yet_valid_names_its_start_time() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    token = "Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, nbf=int(NOW) + 31))
    assert (await refusal(v, token)).description == (
        "the token is not valid before 2027-01-15T08:00:31Z"
    )
    assert await v.authenticate(token, now=NOW + 1)


async def test_claims_nested_absurdly_deep_are_refused_before_the_signature() -> None:
    key = ec_key()
    v = validator(MemoryKeys(key))
    # 1,500 levels (json.dumps cannot even write them): json.loads would raise RecursionError.
    header = _b64url(json.dumps({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}).encode())
    payload = _b64url(f'{{"iss": "{ISSUER}", "x": {"[" * 1500}{"]" * 1500}}}'.encode())
    error = await refusal(v, f"Bearer {header}.{payload}.{_b64url(b'not-a-signature')}")
    assert (error.status, error.error) == (401, "invalid_token")
    assert error.description == "the token's claims nest deeper than 32 levels"
    # Real tokens nest a few levels (Keycloak's resource_access.<client>.roles): accepted.
    roles = {"resource_access": {"hub": {"roles": ["reader"]}}}
    assert await v.authenticate("Bearer " + sign(key, claims_for(ISSUER, AUDIENCE, NOW, **roles)))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_the_settings_bound_every_issuers_token_lifetime(tmp_path: Path) -> None:
    assert AuthSettings().max_token_lifetime_seconds == 24 * 3600
    config = tmp_path / "citizen-hub.toml"
    config.write_text("[auth]\nmax_token_lifetime_seconds = 7200\n", encoding="utf-8")
    assert load_settings(config, {}).auth.max_token_lifetime_seconds == 7200
    config.write_text(
        "[auth]\nmax_token_lifetime_seconds = 1800\ncitizen_token_seconds = 3600\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"auth\.citizen_token_seconds: must not exceed"):
        load_settings(config, {})
