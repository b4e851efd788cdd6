from django.apps import AppConfig


class IntranetConfig(AppConfig):
    name = "intranet"
    label = "intranet"
    verbose_name = "Example VSE intranet"
    default_auto_field = "django.db.models.BigAutoField"
