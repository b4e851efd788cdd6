"""Encryption at rest of personal data: model fields and attachment files.

One MultiFernet built from `VSE_REFERRALS_ENCRYPTION_KEYS` (newest first): the first key
encrypts, every key decrypts, so keys rotate without downtime (`rotate_referral_keys`). A value
that cannot be decrypted raises `DecryptionError`; ciphertext is never shown and never ignored.
"""

import datetime
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.deconstruct import deconstructible

from . import conf


class DecryptionError(Exception):
    """Stored personal data cannot be decrypted with any configured key."""


@lru_cache(maxsize=1)
def _multifernet(keys):
    if not keys:
        raise ImproperlyConfigured(
            "VSE_REFERRALS_ENCRYPTION_KEYS is empty: set at least one key made with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"VSE_REFERRALS_ENCRYPTION_KEYS holds an invalid Fernet key: {error}") from None


def fernet():
    return _multifernet(tuple(conf.get("ENCRYPTION_KEYS")))


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "VSE_REFERRALS_ENCRYPTION_KEYS":
        _multifernet.cache_clear()


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken:
        raise DecryptionError("Stored data could not be decrypted with any configured key.") from None


def rotate_bytes(token: bytes) -> bytes:
    try:
        return fernet().rotate(token)
    except InvalidToken:
        raise DecryptionError("Stored data could not be decrypted with any configured key.") from None


class EncryptedFieldMixin:
    """Stores the field's value as a Fernet token in a text column.

    Encrypted columns cannot be filtered: only `isnull` is allowed, so no query can leak or depend
    on the plaintext. (Ordering on them would sort ciphertext, so nothing orders on them.)
    """

    def get_internal_type(self):
        return "TextField"

    def db_type(self, connection):
        return models.TextField().db_type(connection)

    def serialize_plain(self, value):
        return str(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        return encrypt_bytes(self.serialize_plain(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.to_python(decrypt_bytes(value.encode()).decode())

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise FieldError(f"Encrypted field '{self.name}' cannot be filtered with '{lookup_name}'.")
        return super().get_lookup(lookup_name)


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    pass


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A short encrypted value; `max_length` limits the plaintext in forms, not the column."""


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    def serialize_plain(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    def pre_save(self, model_instance, add):
        return getattr(model_instance, self.attname)


@deconstructible
class EncryptedFileSystemStorage(FileSystemStorage):
    """Private storage of attachments: bytes are encrypted before they reach the disk.

    The location comes from `VSE_REFERRALS_ATTACHMENT_ROOT`, which must lie outside MEDIA_ROOT
    (checked at start-up); there is no base URL, so files are only served by the download view.
    """

    def __init__(self, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(base_url=None, **kwargs)

    # Plain properties, not Django's cached ones, so a changed setting applies at once.
    @property
    def base_location(self):
        root = conf.get("ATTACHMENT_ROOT")
        if not root:
            raise ImproperlyConfigured("Set VSE_REFERRALS_ATTACHMENT_ROOT to a private folder outside MEDIA_ROOT.")
        return str(root)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Attachments have no public URL: serve them through the case download view.")

    def _save(self, name, content):
        content.seek(0)
        return super()._save(name, ContentFile(encrypt_bytes(content.read())))

    def read_decrypted(self, name) -> bytes:
        with super().open(name, "rb") as handle:
            return decrypt_bytes(handle.read())

    def rotate(self, name):
        """Re-encrypt one file in place with the newest key; False if it is gone (never re-created)."""
        try:
            with open(self.path(name), "r+b") as handle:
                rotated = rotate_bytes(handle.read())
                handle.seek(0)
                handle.write(rotated)
                handle.truncate()
        except FileNotFoundError:
            return False
        return True


attachment_storage = EncryptedFileSystemStorage()
