"""The app's settings, read in one place. Each is `VSE_REFERRALS_<NAME>` in the host's settings.

| name | default | meaning |
|---|---|---|
| ENCRYPTION_KEYS | (required) | Fernet keys, newest first; the first encrypts, all decrypt (rotation) |
| PRIORITY_WINDOWS | see below | per priority: hours to respond (accept/decline) and to contact the victim |
| MIN_RESPONSE_HOURS / MAX_RESPONSE_DAYS | 1 / 60 | bounds of an "answer wanted by" the sender sets |
| EXPIRY_GRACE_HOURS | 48 | unanswered referrals expire this long after their respond-by deadline |
| REMINDER_FRACTIONS | (0.5, 0.9) | reminders at these fractions of a deadline's window |
| ATTACHMENT_ROOT | (required for uploads) | private folder of encrypted attachments, outside MEDIA_ROOT |
| ATTACHMENT_MAX_BYTES | 10 MiB | the largest attachment accepted |
| ATTACHMENT_MAX_FILES_PER_REQUEST | 10 | most files one upload adds (below DATA_UPLOAD_MAX_NUMBER_FILES) |
| ATTACHMENT_MAX_BYTES_PER_CASE | 100 MiB | the most a case's files may add up to |
| ATTACHMENT_TYPES | PDF, images, documents, text | content types found in the bytes: file name extensions |
| DASHBOARD_LIMIT | 8 | rows per list in the dashboard inbox panel |
| INBOX_PAGE_SIZE | 25 | rows per page in the inbox listing |
| DIRECTORY_PAGE_SIZE | 20 | members per page in the public directory's list (the map counts every member) |
| REFERENCE_PREFIX | "VSE" | prefix of human references (VSE-2026-00042) |
| STATISTICS_MIN_COUNT | 5 | statistics show counts under this as "fewer than N" (and no percentile over fewer) |
| RETENTION_DAYS | 365 | closed cases are purged, untouched drafts deleted, this many days after |
| QUICK_EXIT_URL | "about:blank" | where "Leave this site quickly" goes (e.g. a neutral news or weather page) |
| MAP_TILES | None (off) | tile background of the directory map, see below |
| SESSION_IDLE_MINUTES | 30 | a signed-in user is signed out after this long without a request |
| SESSION_MAX_HOURS | 12 | ... and this long after signing in, whatever their activity |
| TWO_FACTOR_REQUIRED | True | points of contact (and who designates them) enter an app code at sign-in |
| DESIGNATIONS_NEED_CONFIRMATION | True | designations take effect once a second person confirms (designations.py) |
| NOTIFICATION_LEASE_MINUTES | 10 | a worker's claim on an e-mail; after it another sends it (above EMAIL_TIMEOUT) |
| PROXY_HOPS | 0 | reverse proxies in front of Django that append to X-Forwarded-For (for sign-in throttling) |
| HEALTH_ALLOWED_ADDRESSES | () (nobody) | client addresses or networks (CIDR) that may read the health endpoint |
| HEALTH_TOKEN | None | a secret that opens the health endpoint from anywhere: `Authorization: Bearer <token>` |
| HEALTH_OUTBOX_MAX_AGE_MINUTES | 30 | the health endpoint fails when an e-mail has waited unsent longer than this |
| HEALTH_REMINDERS_MAX_AGE_MINUTES | 30 | ... or when the reminders cron last completed longer ago than this |

MAP_TILES turns on a raster tile background under the directory map, e.g.
``{"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© OpenStreetMap contributors",
"attribution_url": "https://tiles.example.org/copyright"}``. It is the one setting that makes public
pages request another host: every visitor's browser then asks the tile host for about 36 tiles
(their IP address and the time reach it; the page address does not, the pages send no referrer
to other hosts). Off by default; use a tile host you trust or run one yourself.
"""

from datetime import timedelta

from django.conf import settings

DEFAULT_PRIORITY_WINDOWS = {
    # Inter-agency practice (IASC referral form): 24 h / 72 h / two weeks to respond.
    "stat": {"respond_hours": 24, "contact_hours": 48},
    "urgent": {"respond_hours": 72, "contact_hours": 7 * 24},
    "routine": {"respond_hours": 14 * 24, "contact_hours": 21 * 24},
}

DEFAULTS = {
    "ENCRYPTION_KEYS": (),
    "PRIORITY_WINDOWS": DEFAULT_PRIORITY_WINDOWS,
    "MIN_RESPONSE_HOURS": 1,
    "MAX_RESPONSE_DAYS": 60,
    "EXPIRY_GRACE_HOURS": 48,
    "REMINDER_FRACTIONS": (0.5, 0.9),
    "ATTACHMENT_ROOT": None,
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_MAX_FILES_PER_REQUEST": 10,
    "ATTACHMENT_MAX_BYTES_PER_CASE": 100 * 1024 * 1024,
    "ATTACHMENT_TYPES": {
        # content type detected from the bytes: file name extensions accepted for it
        "application/pdf": (".pdf",),
        "image/jpeg": (".jpg", ".jpeg"),
        "image/png": (".png",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
        "application/vnd.oasis.opendocument.text": (".odt",),
        "text/plain": (".txt",),
    },
    "DASHBOARD_LIMIT": 8,
    "INBOX_PAGE_SIZE": 25,
    "DIRECTORY_PAGE_SIZE": 20,
    "REFERENCE_PREFIX": "VSE",
    "STATISTICS_MIN_COUNT": 5,
    "RETENTION_DAYS": 365,
    "QUICK_EXIT_URL": "about:blank",
    "MAP_TILES": None,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    "PROXY_HOPS": 0,
    "NOTIFICATION_LEASE_MINUTES": 10,
    "TWO_FACTOR_REQUIRED": True,
    "DESIGNATIONS_NEED_CONFIRMATION": True,
    "HEALTH_ALLOWED_ADDRESSES": (),
    "HEALTH_TOKEN": None,  # nosec B105  (no token by default: the health endpoint stays closed)
    "HEALTH_OUTBOX_MAX_AGE_MINUTES": 30,
    "HEALTH_REMINDERS_MAX_AGE_MINUTES": 30,
}


def get(name):
    return getattr(settings, f"VSE_REFERRALS_{name}", DEFAULTS[name])


def priority_window(priority, clock):
    """The default time allowed by `priority` for `clock` ("respond" or "contact")."""
    return timedelta(hours=get("PRIORITY_WINDOWS")[priority][f"{clock}_hours"])
