"""Start-up checks (vse_referrals.checks): a host that misconfigures a protection is told so at start."""

from cryptography.fernet import Fernet
from django.core.checks import run_checks

GOOD_TILES = {"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example tile makers"}


def our_errors():
    return sorted(message.id for message in run_checks() if message.id and message.id.startswith("vse_referrals."))


def test_the_test_settings_pass(settings, tmp_path):
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = tmp_path / "private"
    assert our_errors() == []


def test_missing_or_bad_encryption_keys(settings):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = ()
    assert "vse_referrals.E001" in our_errors()
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = ("not a fernet key",)
    assert "vse_referrals.E001" in our_errors()
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = (Fernet.generate_key().decode(),)
    assert "vse_referrals.E001" not in our_errors()


def test_attachment_root_is_required_and_private(settings, tmp_path):
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = None
    assert "vse_referrals.E002" in our_errors()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = tmp_path / "media" / "referrals"
    assert "vse_referrals.E003" in our_errors()
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = tmp_path / "private"
    assert not {"vse_referrals.E002", "vse_referrals.E003"} & set(our_errors())


def test_map_tiles_are_off_by_default_and_checked_when_on(settings, tmp_path):
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = tmp_path / "private"
    assert not hasattr(settings, "VSE_REFERRALS_MAP_TILES")
    settings.VSE_REFERRALS_MAP_TILES = GOOD_TILES
    assert our_errors() == []
    settings.VSE_REFERRALS_MAP_TILES = {**GOOD_TILES, "url": "http://tiles.example.org/{z}/{x}/{y}.png"}
    messages = [m for m in run_checks() if m.id == "vse_referrals.E004"]
    assert len(messages) == 1 and "https://" in messages[0].msg
    settings.VSE_REFERRALS_MAP_TILES = {"url": "https://tiles.example.org/tile.png"}
    assert our_errors() == ["vse_referrals.E004", "vse_referrals.E004"]  # placeholders, attribution


def test_django_must_let_a_few_files_too_many_reach_the_apps_message(settings):
    def warnings():
        return [message for message in run_checks() if message.id == "vse_referrals.W004"]

    assert warnings() == []  # Django's default, 100
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 10
    assert len(warnings()) == 1
    settings.VSE_REFERRALS_ATTACHMENT_MAX_FILES_PER_REQUEST = 5
    assert warnings() == []
