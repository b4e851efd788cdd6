from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VseReferralsConfig(AppConfig):
    name = "vse_referrals"
    label = "vse_referrals"
    verbose_name = _("VSE referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import accounts, audit, checks, exports, sessions, signals  # noqa: F401  (registers the checks, connects the receivers)

        exports.install()
