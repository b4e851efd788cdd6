"""Referral cases and their conversation, files and timeline.

Personal data (victim identity and contact, narratives, assessment, safe-contact plan, messages,
attachment names and bytes) is encrypted at rest (`vse_referrals.crypto`). Triage metadata
(organisations, countries, priority, status, deadlines, coded facts) stays in plain columns so
inboxes, reminders and the VSE overview never decrypt anything. Case models are deliberately not
in Django admin, Wagtail search or revisions, and `str(case)` is the reference only.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .. import conf
from ..crypto import EncryptedCharField, EncryptedDateField, EncryptedTextField, attachment_storage
from .organisations import NotInReferenceIndex


class Status(models.TextChoices):
    """HL7 FHIR Task.status codes with the labels people use."""

    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Sent")
    RECEIVED = "received", _("Opened")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("Information requested")
    REJECTED = "rejected", _("Declined")
    CANCELLED = "cancelled", _("Withdrawn")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


OPEN_STATUSES = (Status.REQUESTED, Status.RECEIVED, Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD)
AWAITING_ANSWER = (Status.REQUESTED, Status.RECEIVED)
CLOSED_STATUSES = (Status.REJECTED, Status.CANCELLED, Status.COMPLETED, Status.FAILED)


class Side(models.TextChoices):
    """Who makes a transition: one of the two parties to a case, or the scheduler."""

    SENDER = "sender", _("referring organisation")
    RECEIVER = "receiver", _("receiving organisation")
    SYSTEM = "system", _("the referral system")


@dataclass(frozen=True)
class Clock:
    """A deadline a case runs against while it is in `statuses`, until `stopped_by` is set.

    The one definition of "which clock is running": the queryset methods, the model, the
    reminders and the workflow all read it.
    """

    name: str
    statuses: tuple
    deadline: str
    stopped_by: str = ""

    def running(self):
        condition = Q(status__in=self.statuses)
        if self.stopped_by:
            condition &= Q(**{f"{self.stopped_by}__isnull": True})
        return condition

    def runs_for(self, case):
        return case.status in self.statuses and not (self.stopped_by and getattr(case, self.stopped_by))

    def overdue(self, now):
        return self.running() & Q(**{f"{self.deadline}__lt": now})

    def is_overdue(self, case, now):
        """The instance form of `overdue`."""
        deadline = getattr(case, self.deadline)
        return self.runs_for(case) and deadline is not None and deadline < now


# Accept or decline by `respond_by`; once accepted, contact the victim by `contact_by`.
RESPOND_CLOCK = Clock("respond", AWAITING_ANSWER, "respond_by")
CONTACT_CLOCK = Clock("contact", (Status.ACCEPTED, Status.IN_PROGRESS), "contact_by", stopped_by="victim_contacted_at")
CLOCKS = (RESPOND_CLOCK, CONTACT_CLOCK)


def expiry_grace():
    """How long after its answer deadline an unanswered referral expires."""
    return timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))


class Priority(models.TextChoices):
    """HL7 FHIR request-priority codes (asap is not used: three levels follow the IASC form)."""

    STAT = "stat", _("Emergency")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Normal")


PRIORITY_RANK = {Priority.STAT: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}


class ReasonCode(models.TextChoices):
    EXPIRED = "expired", _("No answer before the deadline")
    CONSENT_WITHDRAWN = "consent-withdrawn", _("Consent withdrawn")
    VICTIM_UNREACHABLE = "unreachable", _("Victim unreachable")


class ReferredPerson(models.TextChoices):
    VICTIM = "victim", _("The victim")
    FAMILY = "family", _("A family member of the victim")


class AgeBand(models.TextChoices):
    CHILD = "child", _("Child (under 18)")
    YOUNG_ADULT = "18-25", _("18 to 25")
    ADULT = "26-64", _("26 to 64")
    OLDER = "65+", _("65 or older")
    UNKNOWN = "unknown", _("Unknown")


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in-person", _("In person")
    PHONE = "phone", _("By phone")
    WRITTEN = "written", _("In writing (signed form, e-mail or letter)")
    OTHER = "other", _("Other (explain in the case)")


class CrimeType(models.TextChoices):
    ASSAULT = "assault", _("Physical assault")
    SEXUAL = "sexual-violence", _("Sexual violence")
    DOMESTIC = "domestic-violence", _("Domestic or intimate partner violence")
    HOMICIDE = "homicide", _("Homicide (family of a person killed)")
    ROBBERY = "robbery", _("Robbery or theft")
    BURGLARY = "burglary", _("Burglary")
    FRAUD = "fraud", _("Fraud or scam")
    TRAFFICKING = "trafficking", _("Human trafficking")
    HATE = "hate-crime", _("Hate crime")
    TERRORISM = "terrorism", _("Terrorism")
    TRAFFIC = "traffic", _("Road traffic crime")
    STALKING = "stalking", _("Stalking or harassment")
    CYBER = "cybercrime", _("Cybercrime")
    OTHER = "other", _("Other")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("Text message")
    EMAIL = "email", _("E-mail")
    VIDEO = "video", _("Video call")
    IN_PERSON = "in-person", _("In person")
    VIA_SENDER = "via-sender", _("Only through the referring organisation")


class SupportNeed(models.TextChoices):
    EMOTIONAL = "emotional", _("Emotional support")
    INFORMATION = "information", _("Information on rights and procedures")
    LEGAL = "legal", _("Legal advice or representation")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment (police, court, hospital)")
    PRACTICAL = "practical", _("Practical help")
    SHELTER = "shelter", _("Safe accommodation")
    MEDICAL = "medical", _("Medical or psychological care")
    COMPENSATION = "compensation", _("Compensation claim")
    INTERPRETING = "interpreting", _("Interpreting or translation")
    REPATRIATION = "repatriation", _("Return home or repatriation")


class Outcome(models.TextChoices):
    SUPPORTED = "supported", _("Victim supported")
    SUPPORT_DECLINED = "support-declined", _("Victim declined support")
    REFERRED_ON = "referred-on", _("Referred on to another service")
    UNREACHABLE = "unreachable", _("Victim could not be reached")


class ReferenceSequence(models.Model):
    """Last human reference number given per year (a row lock makes numbers unique)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    @classmethod
    def next_reference(cls, year):
        with transaction.atomic():
            cls.objects.get_or_create(year=year)
            cls.objects.filter(year=year).update(last_number=F("last_number") + 1)
            number = cls.objects.select_for_update().get(year=year).last_number
        return f"{conf.get('REFERENCE_PREFIX')}-{year}-{number:05d}"


# The plain columns listings, panels, reminders and the VSE overview load: no decryption at all.
METADATA_FIELDS = (
    "id",
    "reference",
    "sending_organisation",
    "receiving_organisation",
    "priority",
    "priority_rank",
    "status",
    "status_reason_code",
    "respond_by",
    "contact_by",
    "created_at",
    "updated_at",
    "sent_at",
    "received_at",
    "answered_at",
    "victim_contacted_at",
    "closed_at",
)

# The coded categories the statistics report breaks referrals down by (with METADATA_FIELDS). With
# the reference they still describe a known person, so the retention purge blanks them; the
# statistics counted them when the case closed (`ReferralTally`), so the figures survive it.
STATISTICS_FIELDS = ("crime_type", "age_band", "support_needed", "outcome")
# What the statistics read of a referral (`statistics.tally`), all metadata; the report's index
# on the open referrals holds them all.
STATISTICS_COLUMNS = (
    "sent_at",
    "sending_organisation",
    "receiving_organisation",
    "status",
    "status_reason_code",
    "answered_at",
    "respond_by",
    "priority",
    "crime_type",
    "age_band",
    "outcome",
    "support_needed",
)


class ReferralCaseQuerySet(models.QuerySet):
    def metadata(self, *extra):
        """The metadata columns, and the `extra` plain columns a list needs (never an encrypted one)."""
        return self.only(*METADATA_FIELDS, *extra)

    def awaiting_answer(self):
        return self.filter(RESPOND_CLOCK.running())

    def contact_clock_running(self):
        return self.filter(CONTACT_CLOCK.running())

    def overdue(self, now):
        return self.filter(reduce(or_, (clock.overdue(now) for clock in CLOCKS)))

    def expirable(self, now):
        """Unanswered referrals whose answer deadline passed more than the grace period ago."""
        return self.filter(RESPOND_CLOCK.overdue(now - expiry_grace()))


class ReferralCase(NotInReferenceIndex, models.Model):
    # Plain triage metadata -------------------------------------------------------------------
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    sending_organisation = models.ForeignKey(
        "vse_referrals.Organisation",
        verbose_name=_("referring organisation"),
        on_delete=models.PROTECT,
        related_name="sent_referrals",
    )
    receiving_organisation = models.ForeignKey(
        "vse_referrals.Organisation",
        verbose_name=_("receiving organisation"),
        on_delete=models.PROTECT,
        related_name="received_referrals",
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    # Lists sort the most urgent first: a stored column, not an expression each query builds anew.
    priority_rank = models.GeneratedField(
        expression=models.Case(
            *(models.When(priority=code, then=models.Value(rank)) for code, rank in PRIORITY_RANK.items()),
            default=models.Value(len(PRIORITY_RANK)),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    status_before_hold = models.CharField(max_length=12, choices=Status.choices, blank=True, editable=False)
    status_reason_code = models.CharField(_("reason code"), max_length=20, choices=ReasonCode.choices, blank=True)
    respond_by = models.DateTimeField(_("answer wanted by"), null=True, blank=True)
    contact_by = models.DateTimeField(_("victim contacted by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("opened"), null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    victim_contacted_at = models.DateTimeField(_("victim contacted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    purge_after = models.DateTimeField(_("personal data purged after"), null=True, blank=True, editable=False)
    purged_at = models.DateTimeField(_("personal data purged"), null=True, blank=True, editable=False)

    # Consent (plain: it must stay provable, and holds no identity) ----------------------------
    consent_obtained_on = models.DateField(_("consent obtained on"), null=True, blank=True)
    consent_method = models.CharField(
        _("how consent was obtained"), max_length=12, choices=ConsentMethod.choices, blank=True
    )
    consent_to_share = models.BooleanField(
        _("the victim agrees that this information is shared with the receiving organisation"), default=False
    )
    consent_to_contact = models.BooleanField(
        _("the victim agrees to be contacted directly by the receiving organisation"), default=False
    )
    consent_to_report_back = models.BooleanField(
        _("the victim agrees that the outcome is reported back to the referring organisation"), default=False
    )

    # Who is referred -------------------------------------------------------------------------
    referred_person = models.CharField(
        _("who is referred"), max_length=10, choices=ReferredPerson.choices, default=ReferredPerson.VICTIM
    )
    name = EncryptedCharField(
        _("name or case code"),
        max_length=200,
        blank=True,
        help_text=_("The person's name, or a case code if their identity must stay confidential."),
    )
    name_is_code = models.BooleanField(_("this is a case code, not the real name"), default=False)
    relationship_to_victim = EncryptedCharField(_("relationship to the victim"), max_length=200, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), null=True, blank=True)
    age_band = models.CharField(_("age"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    gender = EncryptedCharField(_("gender"), max_length=100, blank=True)
    caregiver = EncryptedTextField(
        _("parent or caregiver (for a child)"), blank=True, help_text=_("Name, relationship and how to reach them.")
    )

    # Contact and safety ----------------------------------------------------------------------
    contact_channels = models.JSONField(_("how to contact"), default=list, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=50, blank=True)
    email = EncryptedCharField(_("e-mail"), max_length=254, blank=True)
    best_times = EncryptedCharField(_("best times to contact"), max_length=200, blank=True)
    # Safety answers have three values: None is "not stated", which must never read as "no".
    safe_to_call = models.BooleanField(_("this number is safe to call"), null=True, blank=True, default=None)
    safe_to_leave_message = models.BooleanField(_("it is safe to leave a message"), null=True, blank=True, default=None)
    safe_alternative_contact = EncryptedTextField(_("safe alternative contact"), blank=True)
    languages = models.ManyToManyField(
        "vse_referrals.Language", verbose_name=_("languages the person speaks"), blank=True, related_name="+"
    )
    interpreter_needed = models.BooleanField(_("an interpreter is needed"), default=False)
    communication_needs = EncryptedTextField(_("disability or communication needs"), blank=True)

    # Cross-border facts ----------------------------------------------------------------------
    crime_country = CountryField(_("country of the crime"), blank=True)
    residence_country = CountryField(_("country of residence"), blank=True)
    current_location = EncryptedTextField(_("where the person is now"), blank=True)
    leaves_country_on = models.DateField(_("leaves the country on"), null=True, blank=True)
    complaint_filed = models.BooleanField(_("a complaint has been filed"), default=False)
    complaint_country = CountryField(_("country of the complaint"), blank=True)
    police_reference = EncryptedCharField(_("police reference"), max_length=200, blank=True)

    # The crime -------------------------------------------------------------------------------
    crime_type = models.CharField(_("type of crime"), max_length=20, choices=CrimeType.choices, blank=True)
    crime_date = EncryptedDateField(_("date of the crime"), null=True, blank=True)
    crime_place = EncryptedTextField(_("place of the crime"), blank=True)
    offender_relationship = EncryptedCharField(_("relationship to the offender"), max_length=200, blank=True)

    # Individual assessment (Directive 2012/29/EU, art. 22) ------------------------------------
    personal_characteristics = EncryptedTextField(_("personal characteristics"), blank=True)
    crime_nature = EncryptedTextField(_("type and nature of the crime"), blank=True)
    circumstances = EncryptedTextField(_("circumstances of the crime"), blank=True)
    risk_repeat_victimisation = models.BooleanField(_("risk of repeat victimisation"), default=False)
    risk_intimidation = models.BooleanField(_("risk of intimidation"), default=False)
    risk_retaliation = models.BooleanField(_("risk of retaliation"), default=False)
    risk_children_affected = models.BooleanField(_("children affected"), default=False)
    victim_wishes = EncryptedTextField(_("the person's own wishes"), blank=True)

    # Needs -----------------------------------------------------------------------------------
    support_needed = models.JSONField(_("support requested"), default=list, blank=True)
    services_provided = EncryptedTextField(_("support already provided"), blank=True)
    referral_reason = EncryptedTextField(_("reason for the referral"), blank=True)

    # Decisions and outcome -------------------------------------------------------------------
    status_reason = EncryptedTextField(_("reason"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_notes = EncryptedTextField(_("outcome notes"), blank=True)

    objects = ReferralCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at"]
        default_permissions = ()
        permissions = [("view_referral_metadata", _("Can see referral metadata in the network overview"))]
        # Each serves lists whose cost must follow one organisation's caseload or the open cases,
        # never the whole network (see inbox.py, reminders.py and the VSE overview).
        indexes = [
            # The sender's lists: outgoing, drafts, on hold, closed.
            models.Index(fields=["sending_organisation", "status", "respond_by"], name="vse_referrals_case_sender"),
            # The receiver's lists: only sent cases are the receiver's (the access rule), so only
            # they are in it.
            models.Index(
                fields=["receiving_organisation", "status", "respond_by"],
                condition=Q(sent_at__isnull=False),
                name="vse_referrals_case_receiver",
            ),
            # The reminders: the clocks that run, by deadline.
            models.Index(fields=["status", "respond_by"], name="vse_referrals_case_respond_by"),
            models.Index(fields=["status", "contact_by"], name="vse_referrals_case_contact_by"),
            # The VSE overview, newest first.
            models.Index(fields=["created_at"], name="vse_referrals_case_created"),
            # The statistics: the open referrals sent in a period (the closed ones are counted as
            # they close), with every column their grouping queries read, so the index alone
            # answers them (index-only scans); and the answer times of all answered referrals.
            models.Index(
                fields=list(STATISTICS_COLUMNS),
                condition=Q(closed_at__isnull=True),
                name="vse_referrals_case_statistics",
            ),
            models.Index(
                fields=["sent_at", "receiving_organisation", "answered_at", "victim_contacted_at"],
                condition=Q(answered_at__isnull=False),
                name="vse_referrals_case_answered",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sending_organisation=F("receiving_organisation")),
                name="vse_referrals_case_between_two_organisations",
            ),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if not self.reference:
            self.reference = ReferenceSequence.next_reference(timezone.now().year)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.receiving_organisation_id and self.receiving_organisation_id == self.sending_organisation_id:
            raise ValidationError(
                {"receiving_organisation": _("A referral must go to an organisation other than yours.")}
            )

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    def active_deadline(self):
        """(clock name, deadline) the case is running against now, or (None, None)."""
        for clock in CLOCKS:
            if clock.runs_for(self):
                return clock.name, getattr(self, clock.deadline)
        return None, None

    @property
    def is_overdue(self):
        now = timezone.now()
        return any(clock.is_overdue(self, now) for clock in CLOCKS)

    def is_expirable(self, now):
        """The instance form of `ReferralCaseQuerySet.expirable`."""
        return RESPOND_CLOCK.is_overdue(self, now - expiry_grace())

    @property
    def reaches_receiver(self):
        """Whether the receiving organisation is a party yet: only once the case has been sent."""
        return self.sent_at is not None

    def organisation_on(self, side):
        """The organisation on `side` of the case: None for the system, and for the receiver of a
        case not yet sent."""
        if side == Side.RECEIVER:
            return self.receiving_organisation if self.reaches_receiver else None
        return self.sending_organisation if side == Side.SENDER else None

    @property
    def has_risk_flags(self):
        return any(
            (self.risk_repeat_victimisation, self.risk_intimidation, self.risk_retaliation, self.risk_children_affected)
        )

    def get_support_needed_display(self):
        labels = dict(SupportNeed.choices)
        return [str(labels.get(code, code)) for code in self.support_needed]

    def get_contact_channels_display(self):
        labels = dict(ContactChannel.choices)
        return [str(labels.get(code, code)) for code in self.contact_channels]


class CaseMessage(NotInReferenceIndex, models.Model):
    case = models.ForeignKey(ReferralCase, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey("vse_referrals.Organisation", on_delete=models.PROTECT, related_name="+")
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        default_permissions = ()

    def __str__(self):
        return f"{self.case.reference} message {self.pk}"


def attachment_file_name(instance, filename):
    # A random name: the original one may name the victim, so it is stored encrypted instead.
    return f"referrals/{uuid.uuid4().hex}.bin"


class CaseAttachment(NotInReferenceIndex, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(ReferralCase, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey("vse_referrals.Organisation", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(storage=attachment_storage, upload_to=attachment_file_name, max_length=200)
    original_name = EncryptedCharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        default_permissions = ()

    def __str__(self):
        return f"{self.case.reference} attachment {self.pk}"

    def read(self) -> bytes:
        return attachment_storage.read_decrypted(self.file.name)


class EventKind(models.TextChoices):
    CREATED = "created", _("Draft created")
    SENT = "sent", _("Referral sent")
    RECEIVED = "received", _("Referral opened")
    ACCEPTED = "accepted", _("Referral accepted")
    DECLINED = "declined", _("Referral declined")
    STARTED = "started", _("Support started")
    INFORMATION_REQUESTED = "information-requested", _("Information requested")
    INFORMATION_GIVEN = "information-given", _("Information given")
    VICTIM_CONTACTED = "victim-contacted", _("Victim contacted")
    COMPLETED = "completed", _("Case closed")
    FAILED = "failed", _("Case closed without success")
    WITHDRAWN = "withdrawn", _("Referral withdrawn")
    CONSENT_WITHDRAWN = "consent-withdrawn", _("Consent withdrawn")
    EXPIRED = "expired", _("Referral expired")
    MESSAGE = "message", _("Message")
    ATTACHMENT = "attachment", _("File added")
    VIEWED = "viewed", _("Case viewed")
    DOWNLOADED = "downloaded", _("File downloaded")
    REMINDER = "reminder", _("Reminder sent")
    OVERDUE = "overdue", _("Deadline passed")
    PURGED = "purged", _("Personal data purged")


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The case timeline is append-only.")


class CaseEvent(NotInReferenceIndex, models.Model):
    """One entry of a case's append-only timeline (transitions, messages, views, downloads)."""

    case = models.ForeignKey(ReferralCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    organisation = models.ForeignKey(
        "vse_referrals.Organisation", on_delete=models.PROTECT, null=True, related_name="+"
    )
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    detail = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        default_permissions = ()

    def __str__(self):
        return f"{self.case_id} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The case timeline is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The case timeline is append-only.")


class DeadlineAlert(NotInReferenceIndex, models.Model):
    """A reminder stage already handled for a case's clock, so cron runs stay idempotent."""

    class Stage(models.TextChoices):
        HALF = "50", _("half of the time used")
        NINETY = "90", _("nine tenths of the time used")
        OVERDUE = "overdue", _("Deadline passed")

    case = models.ForeignKey(ReferralCase, on_delete=models.CASCADE, related_name="deadline_alerts")
    clock = models.CharField(max_length=10)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock", "stage", "deadline"], name="vse_referrals_one_alert_per_stage"
            )
        ]


class Notification(NotInReferenceIndex, models.Model):
    """An e-mail to send (outbox): kept until delivered, so a mail outage loses nothing.

    It names the case (none for a notice about the recipient's own account or a designation) and
    the recipient only; the text is made from metadata at sending time.
    """

    case = models.ForeignKey(
        ReferralCase, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Where to send it when not to the recipient's current address (their previous one).
    address = models.EmailField(blank=True)
    kind = models.CharField(max_length=32)
    # The facts of a notice about a designation, fixed when it happened (names, role, dates):
    # never case data.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=100, blank=True)
    # The claim of the worker sending it now (notifications.claim): no other sends it until the
    # claim is released or older than VSE_REFERRALS_NOTIFICATION_LEASE_MINUTES.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["sent_at", "created_at"])]
