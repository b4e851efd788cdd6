from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.rich_text import DraftailRichTextArea

from . import attachments, designations, workflow
from .models import ContactChannel, Organisation, Outcome, ReferralCase, SupportNeed
from .models.organisations import user_display_name


# The browser's own date pickers: Wagtail's (AdminDateInput) start with an inline script, which the
# case pages' Content-Security-Policy refuses (vse_referrals/security_headers.py).
class NativeDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class NativeDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


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

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request  # whose client address the audit log records (designations)
        user_model = get_user_model()
        self.fields["user"].queryset = user_model.objects.filter(is_active=True).order_by(
            *(["first_name", "last_name"] if hasattr(user_model, "first_name") else []), user_model.USERNAME_FIELD
        )
        if self.instance.pk:
            # A designation belongs to one person: to designate someone else, end it and add a new one.
            self.fields["user"].disabled = True
            self.fields["user"].help_text = _("To designate someone else, end this designation and add a new one.")
        elif self.for_user is not None:
            # The model's validation refuses a designation of oneself (ContactPoint.clean).
            self.instance.proposed_by = self.for_user

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk and self.for_user is not None and self.for_user.pk == self.instance.user_id:
            raise ValidationError(
                _("You cannot change your own designation: another network administrator must do it.")
            )
        return cleaned_data

    def save(self, commit=True):
        designation = super().save(commit=False)
        if not commit:
            return designation
        if designation.pk:
            # What was saved: the designation, or an extension of it awaiting confirmation.
            self.saved = designations.change(designation, by=self.for_user, request=self.request)
        else:
            self.saved = designations.designate(designation, by=self.for_user, request=self.request)
        return self.saved


class ConfirmDesignationForm(forms.Form):
    """The confirmation of a designation: what the page showed, so that a designation changed since
    is not confirmed unseen (designations.fingerprint)."""

    seen = forms.CharField(widget=forms.HiddenInput, max_length=64)


# Referral form -------------------------------------------------------------------------------


class ReceiverSelect(forms.Select):
    """Options carry the member's country and languages so the page can filter them in place."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        organisation = getattr(value, "instance", None)
        if organisation is not None:
            option["attrs"]["data-name"] = organisation.name
            option["attrs"]["data-country"] = organisation.country.code
            option["attrs"]["data-languages"] = " ".join(language.code for language in organisation.languages.all())
        return option


class ReceiverChoiceField(forms.ModelChoiceField):
    widget = ReceiverSelect

    def label_from_instance(self, organisation):
        parts = [organisation.name, organisation.country.name, organisation.get_capacity_status_display()]
        if not organisation.accepts_referrals:
            parts.append(str(_("not accepting referrals")))
        return " · ".join(parts)


class LanguageCheckboxes(forms.CheckboxSelectMultiple):
    """Tick-boxes carrying each language's code: the page turns them into a searchable list and
    compares them with the receiver's languages (static/vse_referrals/js/referral-form.js)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        language = getattr(value, "instance", None)
        if language is not None:
            option["attrs"]["data-code"] = language.code
        return option


# Sentences the page's script fills in (so in Python, where "%(name)s" is a placeholder, not in a
# template, where {% translate %} escapes it); the preview says the same (presentation.language_support).
LANGUAGE_SUPPORTED = _("supported by %(organisation)s")
LANGUAGE_NOT_SUPPORTED = _("not among the languages of %(organisation)s: consider an interpreter")
REMOVE_LANGUAGE = _("Remove %(language)s")


class NotStatedYesNo(forms.RadioSelect):
    """A yes/no question the sender may leave unanswered: "not stated" is not "no"."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", _("Not stated")), ("True", _("Yes")), ("False", _("No"))])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the pattern of Django's documentation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files]


REFERRAL_SECTIONS = [
    (_("Receiving member"), ["receiving_organisation"]),
    (_("Priority and deadlines"), ["priority", "respond_by", "contact_by"]),
    (
        _("Consent"),
        ["consent_obtained_on", "consent_method", "consent_to_share", "consent_to_contact", "consent_to_report_back"],
    ),
    (
        _("Who is referred"),
        [
            "referred_person",
            "name",
            "name_is_code",
            "relationship_to_victim",
            "date_of_birth",
            "age_band",
            "gender",
            "caregiver",
        ],
    ),
    (
        _("Contact and safety"),
        [
            "contact_channels",
            "phone",
            "email",
            "best_times",
            "safe_to_call",
            "safe_to_leave_message",
            "safe_alternative_contact",
            "languages",
            "interpreter_needed",
            "communication_needs",
        ],
    ),
    (
        _("Cross-border facts"),
        [
            "crime_country",
            "residence_country",
            "current_location",
            "leaves_country_on",
            "complaint_filed",
            "complaint_country",
            "police_reference",
        ],
    ),
    (_("The crime"), ["crime_type", "crime_date", "crime_place", "offender_relationship"]),
    (
        _("Individual assessment"),
        [
            "personal_characteristics",
            "crime_nature",
            "circumstances",
            "risk_repeat_victimisation",
            "risk_intimidation",
            "risk_retaliation",
            "risk_children_affected",
            "victim_wishes",
        ],
    ),
    (_("Needs"), ["support_needed", "services_provided", "referral_reason"]),
]

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class ReferralForm(forms.ModelForm):
    """The referral, saved as a draft at any stage; completeness is checked when it is sent."""

    required_to_send = workflow.REQUIRED_TO_SEND
    script_messages = {
        "supported": LANGUAGE_SUPPORTED,
        "not_supported": LANGUAGE_NOT_SUPPORTED,
        "remove_language": REMOVE_LANGUAGE,
    }

    contact_channels = forms.MultipleChoiceField(
        label=_("How to contact"), choices=ContactChannel.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    support_needed = forms.MultipleChoiceField(
        label=_("Support requested"), choices=SupportNeed.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    files = MultipleFileField(
        label=_("Attach files"),
        required=False,
        help_text=_("PDF, images, office documents or text; they are encrypted and only the receiver can open them."),
    )

    class Meta:
        model = ReferralCase
        fields = [name for _title, names in REFERRAL_SECTIONS for name in names]
        field_classes = {"receiving_organisation": ReceiverChoiceField, "email": forms.EmailField}
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput,
            "respond_by": NativeDateTimeInput,
            "contact_by": NativeDateTimeInput,
            "consent_obtained_on": NativeDateInput,
            "date_of_birth": NativeDateInput,
            "leaves_country_on": NativeDateInput,
            "crime_date": NativeDateInput,
            "languages": LanguageCheckboxes(attrs={"class": "vse-scroll-list"}),
            "safe_to_call": NotStatedYesNo,
            "safe_to_leave_message": NotStatedYesNo,
            "caregiver": TEXTAREA,
            "safe_alternative_contact": TEXTAREA,
            "communication_needs": TEXTAREA,
            "current_location": TEXTAREA,
            "crime_place": TEXTAREA,
            "personal_characteristics": TEXTAREA,
            "crime_nature": TEXTAREA,
            "circumstances": TEXTAREA,
            "victim_wishes": TEXTAREA,
            "services_provided": TEXTAREA,
            "referral_reason": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "respond_by": _(
                "Leave empty for the default of the priority. Emergency: 24 hours; urgent: 72 hours; normal: 14 days."
            ),
            "contact_by": _(
                "When the victim should have been contacted after acceptance. Leave empty for the default."
            ),
            "consent_to_contact": _(
                "Without this consent the receiver contacts the victim only through you; leave phone and e-mail empty."
            ),
            "consent_to_report_back": _(
                "Without this consent you will see whether the case was closed with or without success, "
                "not the outcome or its notes."
            ),
        }

    def __init__(self, *args, sender, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.sending_organisation = sender
        receivers = Organisation.objects.exclude(pk=sender.pk).prefetch_related("languages").order_by("country", "name")
        self.fields["receiving_organisation"].queryset = receivers
        self.fields["receiving_organisation"].empty_label = _("Choose a member organisation")
        for name in ("crime_country", "residence_country", "complaint_country"):
            self.fields[name].widget.attrs["class"] = "vse-country-select"
        # Needed to send, not to save a draft: marked, and announced, but not enforced here.
        for name in self.required_to_send:
            if not isinstance(self.fields[name].widget, forms.CheckboxSelectMultiple):  # a group, not a control
                self.fields[name].widget.attrs["aria-required"] = "true"
        for field in self.fields.values():
            if isinstance(field.widget, (forms.TextInput, forms.Textarea)):
                # Typed in any script: the browser follows the text's direction (Arabic, Hebrew...).
                field.widget.attrs.setdefault("dir", "auto")

    def sections(self):
        """(anchor, title, bound fields, error count) for each section, in the form's order."""
        sections = []
        for index, (title, names) in enumerate(REFERRAL_SECTIONS, start=1):
            fields = [self[name] for name in names]
            sections.append((f"vse-form-section-{index}", title, fields, sum(1 for field in fields if field.errors)))
        return sections

    def anchor(self, name):
        """The id of the control an error summary links to (a group of tick-boxes or radios: its first)."""
        field = self[name]
        return field.id_for_label or f"{field.auto_id}_0"

    def error_links(self):
        """(anchor, label, message) for each field in error, in the form's order."""
        return [(self.anchor(field.name), field.label, field.errors[0]) for field in self if field.errors]

    def sending_error_links(self, errors):
        """(anchor, label, message) for `workflow.sending_errors`, in the form's order (the preview's summary)."""
        links = [(self.anchor(field.name), field.label, errors[field.name]) for field in self if field.name in errors]
        return links + [(None, None, message) for name, message in errors.items() if name not in self.fields]

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("date_of_birth", "crime_date"):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, _("This date is in the future."))
        return cleaned

    def clean_files(self):
        return attachments.check_uploads(self.cleaned_data.get("files") or [], attachments.stored_bytes(self.instance))

    def add_sending_errors(self, errors):
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=[("", "---------"), *Outcome.choices])


class MessageEditor(DraftailRichTextArea):
    """Draftail, reading a body that is not the editor's JSON as empty instead of failing."""

    def get_context(self, name, value, attrs):
        # The editable area is a <div contenteditable>, which the field's <label for> does not
        # name: point it at that label (Wagtail's formattedfield gives it the id "<input id>-label").
        self.options = {**self.options, "ariaLabelledBy": f"{attrs['id']}-label"}
        return super().get_context(name, value, attrs)

    def value_from_datadict(self, data, files, name):
        try:
            return super().value_from_datadict(data, files, name)
        except ValueError:  # json.JSONDecodeError: a hand-made request, not the editor
            return ""


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=MessageEditor(features=["bold", "italic", "ol", "ul", "link"]),
        error_messages={"required": _("Write a message before sending it.")},
    )


class AttachmentForm(forms.Form):
    files = MultipleFileField(label=_("Add files"), required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_files(self):
        if not self.cleaned_data["files"]:
            raise ValidationError(_("Choose a file to upload."))
        return attachments.check_uploads(self.cleaned_data["files"], attachments.stored_bytes(self.case))
