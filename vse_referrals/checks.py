"""Start-up checks of the settings that protect case data and the directory's visitors."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from . import conf, crypto, world_map


@register(Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    try:
        crypto.fernet()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="vse_referrals.E001")]
    return []


@register(Tags.security)
def check_attachment_root(app_configs, **kwargs):
    root = conf.get("ATTACHMENT_ROOT")
    if not root:
        return [
            Error(
                "VSE_REFERRALS_ATTACHMENT_ROOT is not set.",
                hint="Point it to a private folder outside MEDIA_ROOT and STATIC_ROOT.",
                id="vse_referrals.E002",
            )
        ]
    root = Path(root).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = getattr(settings, name, None)
        if public and (root == Path(public).resolve() or Path(public).resolve() in root.parents):
            errors.append(
                Error(
                    f"VSE_REFERRALS_ATTACHMENT_ROOT lies inside {name}: attachments could be served publicly.",
                    id="vse_referrals.E003",
                )
            )
    return errors


@register(Tags.security)
def check_map_tiles(app_configs, **kwargs):
    return [
        Error(f"VSE_REFERRALS_MAP_TILES: {problem}.", id="vse_referrals.E004")
        for problem in world_map.tile_setting_problems(conf.get("MAP_TILES"))
    ]
