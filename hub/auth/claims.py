"""The checks of a token's claims (steps 2, 7 and 8 of :mod:`hub.auth.validate`): how
deeply they nest, the time claims as finite NumericDates, the registered claims (exp,
nbf, iat with leeway; iss, aud, sub, jti), the lifetime exp - iat, and the principal's
own claims (scope, nik, purpose, sid, consent_id); with the wording of their errors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Final, NoReturn

from joserfc.errors import ExpiredTokenError, InvalidClaimError, MissingClaimError
from joserfc.jwt import JWTClaimsRegistry

from hub.auth.errors import AuthError, shown
from hub.auth.principal import Principal
from hub.auth.scopes import ScopeSyntaxError, check_purpose_code, parse_scope
from hub.http_input import json_depth
from identity.nik import NIK, InvalidNIK

#: The longest a token may be valid (exp - iat) unless AuthSettings says otherwise.
DEFAULT_MAX_TOKEN_LIFETIME: Final = 24 * 3600
#: NumericDate claims must fall in 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z.
MAX_NUMERIC_DATE: Final = 253_402_300_799
#: Deepest nesting of arrays and objects in a token's claims (real ones nest 3 or 4 deep).
MAX_CLAIMS_DEPTH: Final = 32
_TIME_CLAIMS: Final = ("exp", "iat", "nbf")


def check_claims_depth(payload: bytes) -> None:
    """Part of step 2: the claims, still unparsed, nest at most :data:`MAX_CLAIMS_DEPTH`
    deep (``json.loads`` recurses, and this is before the signature)."""
    if json_depth(payload) > MAX_CLAIMS_DEPTH:
        raise AuthError.invalid_token(
            f"the token's claims nest deeper than {MAX_CLAIMS_DEPTH} levels"
        )


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    audience: str,
    now: float,
    leeway: int,
    max_lifetime: int,
) -> None:
    """Step 7: the time claims, iss, aud, sub and jti of verified claims, and the lifetime."""
    for name in _TIME_CLAIMS:
        check_numeric_date(name, claims.get(name))
    registry = JWTClaimsRegistry(
        now=int(now),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise AuthError.invalid_token(
            f"the token expired at {_iso(claims['exp'])} (leeway {leeway} s)"
        ) from None
    except MissingClaimError as exc:
        raise AuthError.invalid_token(f"the token has no {exc.claim} claim") from None
    except InvalidClaimError as exc:
        raise AuthError.invalid_token(_claim_problem(exc.claim, claims, audience)) from None
    check_lifetime(claims, now, max_lifetime)


def check_lifetime(claims: dict[str, Any], now: float, max_lifetime: int) -> None:
    """exp - iat (exp - now without iat) within the maximum: a leaked token of an
    issuer that signs for years must not be usable for years."""
    iat = claims.get("iat")
    lifetime = claims["exp"] - (now if iat is None else iat)
    if lifetime > max_lifetime:
        span = "exp - now" if iat is None else "exp - iat"
        raise AuthError.invalid_token(
            f"the token is valid for {_duration(lifetime)} ({span}), longer than the"
            f" {_duration(max_lifetime)} accepted here"
        )


def check_numeric_date(name: str, value: object) -> None:
    """Part of step 7: a time claim, if present, is a finite JSON number in 1970..9999.

    NaN passes every comparison (a NaN ``exp`` never expires), Infinity and huge numbers
    cannot be shown as dates, and a boolean is a number to Python: all are refused here,
    with the claim named, before any comparison with the clock.
    """
    if value is None:
        return  # absent: the claims registry says whether it had to be there
    if isinstance(value, bool) or not isinstance(value, int | float):
        _not_a_numeric_date(name, _json_kind(value))
    if isinstance(value, float) and not math.isfinite(value):
        _not_a_numeric_date(
            name, "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        )
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise AuthError.invalid_token(
            f"the {name} claim is out of range: a NumericDate falls between 1970 and 9999"
        )


def _not_a_numeric_date(name: str, shown_as: str) -> NoReturn:
    raise AuthError.invalid_token(
        f"the {name} claim must be a NumericDate (seconds since 1970 as a JSON number),"
        f" not {shown_as}"
    )


def principal_from(claims: dict[str, Any]) -> Principal:
    """Step 8: the principal of verified, validated claims."""
    client_id = claims.get("client_id", claims.get("azp"))
    if not isinstance(client_id, str) or not client_id:
        raise AuthError.invalid_token("the token has no client_id claim")
    scope = claims.get("scope", "")
    try:
        if not isinstance(scope, str):
            raise ScopeSyntaxError("the scope claim must be a space-separated string")
        scopes = parse_scope(scope) if scope else frozenset[str]()
    except ScopeSyntaxError as exc:
        raise AuthError.invalid_token(str(exc)) from None
    nik = claims.get("nik")
    if nik is not None:
        if not isinstance(nik, str):
            raise AuthError.invalid_token("the nik claim must be a string of 16 digits")
        try:
            nik = str(NIK.parse(nik))
        except InvalidNIK as exc:
            raise AuthError.invalid_token(f"the nik claim is not a NIK ({exc.rule})") from None
    purpose = claims.get("purpose")
    if purpose is not None:
        try:
            if not isinstance(purpose, str):
                raise ScopeSyntaxError("not a string")
            check_purpose_code(purpose)
        except ScopeSyntaxError:
            raise AuthError.invalid_token("the purpose claim is not a purpose code") from None
    grant_id = _optional_text(claims, "sid")
    consent_id = _optional_text(claims, "consent_id")
    return Principal(
        issuer=claims["iss"],
        subject=claims["sub"],
        client_id=client_id,
        scopes=scopes,
        nik=nik,
        purpose=purpose,
        token_id=claims["jti"],
        expires_at=int(claims["exp"]),
        grant_id=grant_id,
        consent_id=consent_id,
    )


def _optional_text(claims: dict[str, Any], name: str) -> str | None:
    """A claim that is absent, or else a non-empty string."""
    value = claims.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise AuthError.invalid_token(f"the {name} claim must be a non-empty string")
    return value


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _duration(seconds: float) -> str:
    """Exact, in the largest unit that divides it: 24 h, 3650 days, 15 min, 86401 s."""
    if seconds != int(seconds):
        return f"{seconds:.1f} s"
    whole = int(seconds)
    for unit, name in ((86400, "days"), (3600, "h"), (60, "min")):
        if whole >= 2 * unit and whole % unit == 0:
            return f"{whole // unit} {name}"
    return f"{whole} s"


def _claim_problem(claim: str, claims: dict[str, Any], audience: str) -> str:
    if claim == "nbf":
        return f"the token is not valid before {_iso(claims['nbf'])}"
    if claim == "iat":
        return f"the token was issued in the future ({_iso(claims['iat'])})"
    if claim == "aud":
        return f"the token is for audience {shown(claims.get('aud'))}, not {audience}"
    return f"the token's {claim} claim is invalid"


def _iso(timestamp: object) -> str:
    """A claimed time for an error message; never raises, whatever the token holds."""
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, OverflowError, OSError):
            return "an impossible time"
    return shown(timestamp)
