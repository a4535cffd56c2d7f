"""Signed agent tokens: who an agent is, as the customer's backend vouches for them (a JWT).

Public names:

- ``Identity``: an agent's ``id`` (the token's ``sub``; None for the shared key, whose agents get
  a fresh id per join), ``name`` (None for the shared key: the agent types it), ``role``
  (``AGENT`` or ``SUPERVISOR``), ``sites`` (the site codes they may see, None for all) and
  ``expires`` (when the sign-in ends, seconds since the epoch).
- ``BadToken(cause)``: a token that does not sign an agent in; ``cause`` says why in words.
- ``TokenVerifier(key, algorithm, audience=None, issuer=None)``: ``verify(token)`` gives the
  ``Identity`` a token vouches for, or raises ``BadToken``; ``from_secret(secret, ...)`` verifies
  HS256, ``from_public_key(pem, ...)`` RS256 or ES256 by the key's type.
- ``readable_sub(token)``: the token's ``sub`` read without verifying it (for the log), or None.
- ``AGENT``, ``SUPERVISOR``, ``ROLES``, ``LEEWAY_SECONDS``.

PyJWT does the cryptography; only the algorithm the configured key implies is allowed (never
``none``), and ``exp``, ``sub`` and ``name`` are required.
"""

from dataclasses import dataclass
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

AGENT: Final = "agent"
SUPERVISOR: Final = "supervisor"
ROLES: Final = (AGENT, SUPERVISOR)

# Clocks of the customer's backend and of this server may differ by this much.
LEEWAY_SECONDS: Final = 30

# Each PyJWT refusal, most specific first (InvalidSignatureError is a DecodeError), in words.
CAUSES: Final[tuple[tuple[type[Exception], str], ...]] = (
    (jwt.ExpiredSignatureError, "Your agent token has expired"),
    (jwt.ImmatureSignatureError, "Your agent token is not valid yet"),
    (jwt.InvalidIssuedAtError, "Your agent token is not valid yet"),
    (jwt.InvalidSignatureError, "Your agent token's signature does not match"),
    (jwt.InvalidAlgorithmError, "Your agent token was signed with another algorithm"),
    (jwt.InvalidAudienceError, "Your agent token is for another audience"),
    (jwt.InvalidIssuerError, "Your agent token is from another issuer"),
)
NOT_A_TOKEN: Final = "Your agent token is not a token"
MISSING: Final = {"sub": "Your agent token has no sub (agent id)", "name": "Your agent token has no name",
                  "exp": "Your agent token has no expiry (exp)"}


@dataclass(frozen=True)
class Identity:
    """Who an agent is (see the module's docstring)."""

    id: str | None
    name: str | None
    role: str = AGENT
    sites: tuple[str, ...] | None = None
    expires: float | None = None

    def may_see(self, site_code: str) -> bool:
        """Whether the agent may join a session of ``site_code``."""
        return self.sites is None or site_code in self.sites


class BadToken(Exception):
    """A token that signs nobody in: ``cause`` says why, in words an agent understands."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class TokenVerifier:
    """Verifies agent tokens signed with one key and algorithm (see the module's docstring)."""

    def __init__(self, key: Any, algorithm: str, audience: str | None = None, issuer: str | None = None) -> None:
        self.key = key
        self.algorithm = algorithm
        self.audience = audience
        self.issuer = issuer

    @classmethod
    def from_secret(cls, secret: str, audience: str | None = None, issuer: str | None = None) -> "TokenVerifier":
        return cls(secret, "HS256", audience, issuer)

    @classmethod
    def from_public_key(cls, pem: bytes, audience: str | None = None, issuer: str | None = None) -> "TokenVerifier":
        """RS256 for an RSA key, ES256 for a P-256 key; ValueError for any other key."""
        key = load_pem_public_key(pem)
        if isinstance(key, rsa.RSAPublicKey):
            return cls(key, "RS256", audience, issuer)
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            return cls(key, "ES256", audience, issuer)
        raise ValueError("the agent token key must be an RSA key (RS256) or a P-256 EC key (ES256)")

    def verify(self, token: str) -> Identity:
        try:
            claims = jwt.decode(token, self.key, algorithms=[self.algorithm], audience=self.audience,
                                issuer=self.issuer, leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "sub"] + (["aud"] if self.audience else [])
                                         + (["iss"] if self.issuer else [])})
        except jwt.MissingRequiredClaimError as error:
            raise BadToken(MISSING.get(error.claim, "Your agent token has no %s" % error.claim))
        except jwt.InvalidTokenError as error:
            raise BadToken(next((cause for kind, cause in CAUSES if isinstance(error, kind)), NOT_A_TOKEN))
        return identity_of(claims)


def identity_of(claims: dict[str, Any]) -> Identity:
    """The ``Identity`` of a verified token's claims; ``BadToken`` if one is not as it must be."""
    sub, name, role, sites = claims["sub"], claims.get("name"), claims.get("role", AGENT), claims.get("sites")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 64:
        raise BadToken("Your agent token's sub is not an id of 1 to 64 characters")
    if not isinstance(name, str) or not " ".join(name.split()):
        raise BadToken(MISSING["name"])
    if role not in ROLES:
        raise BadToken("Your agent token's role is neither agent nor supervisor")
    if sites is not None and (not isinstance(sites, list) or not all(isinstance(site, str) for site in sites)):
        raise BadToken("Your agent token's sites are not a list of site codes")
    return Identity(sub, " ".join(name.split())[:80], role, None if sites is None else tuple(sites),
                    float(claims["exp"]))


def readable_sub(token: str) -> str | None:
    """The ``sub`` a token claims, unverified (for the log line of a refusal only), or None."""
    try:
        sub = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.InvalidTokenError:
        return None
    return sub[:64] if isinstance(sub, str) else None
