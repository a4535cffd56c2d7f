"""Agent tokens verified (``cobrowse.server.tokens``): real tokens signed with PyJWT, HS256 with a
secret, RS256 and ES256 with keys made by ``cryptography`` here; every bad token is refused with
its cause in words."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cobrowse.server.tokens import SUPERVISOR, BadToken, Identity, TokenVerifier, readable_sub
from support.tokens import SECRET, claims, ec_keys, mint, rsa_keys

HS = TokenVerifier.from_secret(SECRET)


def refused(verifier, token):
    with pytest.raises(BadToken) as error:
        verifier.verify(token)
    return error.value.cause


def test_an_hs256_token_gives_its_agent():
    identity = HS.verify(mint(claims("alice", "  Alice   Agent ", exp_in=600)))
    assert (identity.id, identity.name, identity.role, identity.sites) == ("alice", "Alice Agent", "agent", None)
    assert abs(identity.expires - (time.time() + 600)) < 5


def test_role_and_sites_are_taken_from_the_token():
    identity = HS.verify(mint(claims("sue", "Sue", role="supervisor", sites=["shop", "bank"])))
    assert identity.role == SUPERVISOR and identity.sites == ("shop", "bank")
    assert identity.may_see("shop") and not identity.may_see("other")
    assert Identity("x", "X").may_see("anything")


@pytest.mark.parametrize("keys, algorithm", [(rsa_keys, "RS256"), (ec_keys, "ES256")])
def test_public_keys_verify_their_own_algorithm_only(keys, algorithm):
    private, pem = keys()
    verifier = TokenVerifier.from_public_key(pem)
    assert verifier.algorithm == algorithm
    assert verifier.verify(mint(claims(), private, algorithm)).id == "alice"
    # Another key of the same kind: the signature does not match.
    other, _ = keys()
    assert refused(verifier, mint(claims(), other, algorithm)) == "Your agent token's signature does not match"
    # The public key's text used as an HMAC secret (the classic confusion) is another algorithm.
    assert refused(verifier, mint(claims(), SECRET, "HS256")) == "Your agent token was signed with another algorithm"


def test_other_keys_are_refused_at_start():
    _, pem = ec_keys(ec.SECP384R1())
    with pytest.raises(ValueError, match="P-256"):
        TokenVerifier.from_public_key(pem)
    with pytest.raises(ValueError):
        TokenVerifier.from_public_key(b"not a key")


@pytest.mark.parametrize("token, cause", [
    (lambda: mint(claims(exp_in=-60)), "Your agent token has expired"),
    (lambda: mint(claims(nbf=int(time.time()) + 120)), "Your agent token is not valid yet"),
    (lambda: mint(claims(iat=int(time.time()) + 120)), "Your agent token is not valid yet"),
    (lambda: mint(claims(), "another secret of thirty-two bytes"), "Your agent token's signature does not match"),
    (lambda: mint(claims(), SECRET, "HS512"), "Your agent token was signed with another algorithm"),
    (lambda: jwt.encode(claims(), None, algorithm="none"), "Your agent token was signed with another algorithm"),
    (lambda: mint(claims(sub=None)), "Your agent token has no sub (agent id)"),
    (lambda: mint(claims(name=None)), "Your agent token has no name"),
    (lambda: mint(claims(name="   ")), "Your agent token has no name"),
    (lambda: mint(claims(exp_in=None)), "Your agent token has no expiry (exp)"),
    (lambda: mint(claims(role="admin")), "Your agent token's role is neither agent nor supervisor"),
    (lambda: mint(claims(sites="shop")), "Your agent token's sites are not a list of site codes"),
    (lambda: mint(claims(sub="x" * 65)), "Your agent token's sub is not an id of 1 to 64 characters"),
    (lambda: "garbage", "Your agent token is not a token"),
    (lambda: "a.b.c", "Your agent token is not a token"),
    (lambda: "", "Your agent token is not a token"),
])
def test_every_bad_token_is_refused_with_its_cause(token, cause):
    assert refused(HS, token()) == cause


def test_the_leeway_is_30_seconds():
    assert HS.verify(mint(claims(exp_in=-20))).id == "alice"
    assert HS.verify(mint(claims(nbf=int(time.time()) + 20))).id == "alice"
    assert refused(HS, mint(claims(exp_in=-40))) == "Your agent token has expired"


def test_audience_and_issuer_once_configured_are_required():
    verifier = TokenVerifier.from_secret(SECRET, audience="cobrowse", issuer="https://idp.example")
    good = claims(aud="cobrowse", iss="https://idp.example")
    assert verifier.verify(mint(good)).id == "alice"
    assert refused(verifier, mint(dict(good, aud="other"))) == "Your agent token is for another audience"
    assert refused(verifier, mint(dict(good, iss="https://evil.example"))) == "Your agent token is from another issuer"
    assert refused(verifier, mint({k: v for k, v in good.items() if k != "aud"})) == "Your agent token has no aud"
    assert refused(verifier, mint({k: v for k, v in good.items() if k != "iss"})) == "Your agent token has no iss"


def test_the_sub_is_read_for_the_log_without_trusting_it():
    assert readable_sub(mint(claims("mallory"), "wrong secret of thirty-two bytes!")) == "mallory"
    assert readable_sub("garbage") is None
    assert readable_sub(mint(claims(sub=None))) is None
