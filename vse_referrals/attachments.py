"""Checks on uploaded files: the type is detected from the bytes, and the name must agree with it."""

import os
import re

import filetype
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext

from . import conf


def detect_content_type(upload):
    """The allowed content type of `upload`, or ValidationError with a message for the user."""
    max_bytes = conf.get("ATTACHMENT_MAX_BYTES")
    if upload.size > max_bytes:
        raise ValidationError(
            gettext("%(name)s is too large (%(size)s); the limit is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)}
        )
    if upload.size == 0:
        raise ValidationError(gettext("%(name)s is empty.") % {"name": upload.name})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else _plain_text_or_none(upload)
    allowed = conf.get("ATTACHMENT_TYPES")
    extension = os.path.splitext(upload.name)[1].lower()
    if content_type not in allowed or extension not in allowed[content_type]:
        raise ValidationError(
            gettext("%(name)s is not an accepted kind of file. Accepted: %(types)s.")
            % {"name": upload.name, "types": ", ".join(sorted({ext for exts in allowed.values() for ext in exts}))}
        )
    return content_type


MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta)\b", re.IGNORECASE)


def _plain_text_or_none(upload):
    """text/plain for UTF-8 text that is not markup a browser would run (HTML, SVG)."""
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data or MARKUP.search(data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def check_uploads(uploads, stored_bytes=0):
    """[(upload, content_type)] for files that may be added at once to a case already holding
    `stored_bytes`; all problems in one ValidationError, and then none of the files may be stored."""
    max_files = conf.get("ATTACHMENT_MAX_FILES_PER_REQUEST")
    if len(uploads) > max_files:
        raise ValidationError(
            ngettext(
                "You chose %(count)s files; at most %(limit)s file can be added at once.",
                "You chose %(count)s files; at most %(limit)s files can be added at once.",
                max_files,
            )
            % {"count": len(uploads), "limit": max_files}
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append((upload, detect_content_type(upload)))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    check_case_total(stored_bytes, sum(upload.size for upload in uploads))
    return checked


def check_case_total(stored_bytes, added_bytes):
    """ValidationError if `added_bytes` more would take a case's files over the limit."""
    limit = conf.get("ATTACHMENT_MAX_BYTES_PER_CASE")
    if stored_bytes + added_bytes > limit:
        raise ValidationError(
            gettext(
                "These files (%(added)s) would take the files of this referral over the limit of %(limit)s "
                "per referral: %(left)s can still be added."
            )
            % {
                "added": filesizeformat(added_bytes),
                "limit": filesizeformat(limit),
                "left": filesizeformat(max(limit - stored_bytes, 0)),
            }
        )


def stored_bytes(case):
    """The size of the files a case holds (none before it is first saved)."""
    if case._state.adding:
        return 0
    return case.attachments.aggregate(total=Sum("size"))["total"] or 0
