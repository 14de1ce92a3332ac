"""The tool's keys (its JWKS, rotation) and the platforms' keys (fetched from their keyset URL, cached)."""

import json
import secrets
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.db import transaction

from coursesite.audit import audit_record

from .models import Platform, ToolKey

PLATFORM_KEYS_SECONDS = 300


class PlatformKeyError(Exception):
    """The platform's signing key could not be found (unknown kid, or the keyset URL failed)."""


def _new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def tool_key_rotate(*, retire_old: bool = False) -> ToolKey:
    """A new signing key; with `retire_old`, the older keys leave the JWKS. Audited."""
    with transaction.atomic():
        key = ToolKey.objects.create(kid=secrets.token_urlsafe(16), private_key_pem=_new_private_key_pem())
        retired = 0
        if retire_old:
            retired = ToolKey.objects.exclude(pk=key.pk).filter(active=True).update(active=False)
        audit_record(actor=None, action="lti_tool_key.rotate", target=key, retired=retired)
    return key


def tool_key_current() -> ToolKey:
    key = ToolKey.objects.filter(active=True).first()
    return key if key is not None else tool_key_rotate()


def tool_jwks() -> dict[str, Any]:
    keys = []
    for key in ToolKey.objects.filter(active=True):
        private = serialization.load_pem_private_key(key.private_key_pem.encode(), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):  # tool_key_rotate makes RSA keys only
            raise ValueError(f"The tool key {key.kid} is not an RSA key.")
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
        keys.append({**public, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def _fetch_platform_jwks(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PlatformKeyError(f"the platform's keyset URL failed: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise PlatformKeyError("the platform's keyset URL did not return a JWKS")
    cache.set(f"lti-jwks:{url}", data, PLATFORM_KEYS_SECONDS)
    return data


def platform_key(*, platform: Platform, kid: str) -> jwt.PyJWK:
    """The platform's public key with this kid; an unknown kid refetches the keyset once (the platform rotated)."""
    jwks = cache.get(f"lti-jwks:{platform.keyset_url}")
    fetched = False
    while True:
        if jwks is None:
            jwks, fetched = _fetch_platform_jwks(platform.keyset_url), True
        for entry in jwks["keys"]:
            if isinstance(entry, dict) and entry.get("kid") == kid and entry.get("kty") == "RSA":
                return jwt.PyJWK(entry, algorithm="RS256")
        if fetched:
            raise PlatformKeyError(f"the platform has no key {kid!r}")
        jwks = None
