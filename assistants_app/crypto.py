"""The dashboard's secrets use the project's encryption at rest (dashboard/crypto.py), shared
with the engine's model providers; this name stays for the migrations that import it."""

from dashboard.crypto import EncryptedTextField, decrypt, encrypt, mask

__all__ = ["EncryptedTextField", "decrypt", "encrypt", "mask"]
