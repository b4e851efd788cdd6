"""Local demo: SQLite, console e-mail. Never use these settings on a server."""

import os

from .base import *  # noqa: F401,F403

DEBUG = True
# A fixed key for the local demo only; production.py reads it from the environment.
SECRET_KEY = "demo-only-not-secret-vse-referrals-example-site"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# A local encryption key for the demo, made on first use and kept in a git-ignored file next to
# the demo database. It protects nothing real: production reads its keys from the environment.
_DEV_KEY_FILE = BASE_DIR / "local-dev-encryption.key"  # noqa: F405
if not _DEV_KEY_FILE.exists():
    from cryptography.fernet import Fernet

    _DEV_KEY_FILE.write_text(Fernet.generate_key().decode())
VSE_REFERRALS_ENCRYPTION_KEYS = [_DEV_KEY_FILE.read_text().strip()]

# The demo's points of contact sign in without a phone. To try two-step verification with an
# authenticator app (the default everywhere else), start the demo with
# VSE_DEMO_TWO_FACTOR=on: no tracked file needs editing.
VSE_REFERRALS_TWO_FACTOR_REQUIRED = os.environ.get("VSE_DEMO_TWO_FACTOR", "off").lower() in {"on", "1", "true", "yes"}
