"""Agent tokens for the tests, signed with PyJWT as a customer's backend would sign them.

Public names:

- ``SECRET``: the HS256 secret of the tests' servers (``--agent-jwt-secret``).
- ``claims(sub, name, role, sites, exp_in, **more)``: a token's claims, expiring ``exp_in``
  seconds from now (None: no ``exp``); ``sub`` or ``name`` None leaves it out.
- ``mint(claims, key=SECRET, algorithm="HS256", headers=None)``: the signed token.
- ``rsa_keys()``, ``ec_keys()``: a fresh ``(private key, public key PEM)``, made by
  ``cryptography``.
- ``agent_token(sub, name, **options)``: ``mint(claims(sub, name, **options))``.
"""

import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET = "test-agent-jwt-secret-" + "s" * 42  # 64 bytes: long enough for HS512 too


def claims(sub="alice", name="Alice Agent", role=None, sites=None, exp_in=3600, **more):
    made = {"iat": int(time.time())}
    for claim, value in (("sub", sub), ("name", name), ("role", role), ("sites", sites)):
        if value is not None:
            made[claim] = value
    if exp_in is not None:
        made["exp"] = int(time.time() + exp_in)
    made.update(more)
    return made


def mint(payload, key=SECRET, algorithm="HS256", headers=None):
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def agent_token(sub="alice", name="Alice Agent", **options):
    return mint(claims(sub, name, **options))


def _public_pem(private):
    return private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def rsa_keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private, _public_pem(private)


def ec_keys(curve=None):
    private = ec.generate_private_key(curve or ec.SECP256R1())
    return private, _public_pem(private)
