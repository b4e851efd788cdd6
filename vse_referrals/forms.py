from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models.organisations import user_display_name


class OrganisationForm(WagtailAdminModelForm):
    class Meta:
        error_messages = {
            "country": {"required": _("Choose the country where the organisation is based.")},
            "name": {
                "required": _("Give the organisation's name."),
                "unique": _("An organisation with this name already exists."),
            },
        }
        widgets = {"languages": forms.CheckboxSelectMultiple}


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        email = f" <{user.email}>" if user.email else ""
        return f"{user_display_name(user)}{email}"


class ContactPointForm(WagtailAdminModelForm):
    class Meta:
        field_classes = {"user": UserChoiceField}
        error_messages = {
            "user": {"required": _("Choose the user to designate.")},
            "organisation": {"required": _("Choose the organisation the user will act for.")},
            "active_from": {
                "required": _("Give the date and time from which the designation applies."),
                "invalid": _("Enter a valid date and time."),
            },
            "active_until": {"invalid": _("Enter a valid date and time.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user_model = get_user_model()
        self.fields["user"].queryset = user_model.objects.filter(is_active=True).order_by(
            *(["first_name", "last_name"] if hasattr(user_model, "first_name") else []), user_model.USERNAME_FIELD
        )
        if self.instance.pk:
            # A designation belongs to one person: to designate someone else, end it and add a new one.
            self.fields["user"].disabled = True
            self.fields["user"].help_text = _("To designate someone else, end this designation and add a new one.")
