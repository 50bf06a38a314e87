"""The service's Ed25519 key: it signs release manifests so a data owner can verify offline.

The key is made on first start under the service's data directory (private key 0600,
created with O_EXCL so two starting processes never both write one) and kept across
restarts: a manifest signed last year still verifies against the published public key.
Signatures are raw 64-byte Ed25519, which standard tools check directly:

    openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in manifest.json -sigfile manifest.sig
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PRIVATE = "ed25519.pem"
PUBLIC = "ed25519.pub.pem"


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key
        self.public_key: Ed25519PublicKey = private_key.public_key()

    @classmethod
    def load_or_create(cls, directory: Path) -> Signer:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        private_path = directory / PRIVATE
        try:
            fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{private_path} is not an Ed25519 private key") from None
        else:
            key = Ed25519PrivateKey.generate()
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
                handle.flush()
                os.fsync(handle.fileno())
        signer = cls(key)
        # Published next to it for operators; the service also serves it over the API.
        (directory / PUBLIC).write_bytes(signer.public_pem())
        return signer

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)

    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, to name the key inside what it signs."""
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()
