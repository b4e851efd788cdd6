import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# Who may designate points of contact (add or change a ContactPoint): a network administrator,
# the people who can grant access (`designations.is_network_administrator`).
DESIGNATING_PERMISSIONS = ("vse_referrals.add_contactpoint", "vse_referrals.change_contactpoint")


class NotInReferenceIndex:
    """Referrals, their records and access grants are not content: Wagtail's reference index (the
    "usage" of its objects) never lists them, and saving one queues no indexing task."""

    wagtail_reference_index_ignore = True


class CapacityStatus(models.TextChoices):
    CAPACITY = "capacity", _("Has capacity")
    NO_CAPACITY = "no-capacity", _("No capacity")
    WAITLIST = "waitlist", _("Waiting list")


class Organisation(models.Model):
    """A member organisation of the VSE network.

    Its points of contact are the members of `contact_points_group`; the referral permission is
    granted to that group on this object (see `vse_referrals.permissions`).
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = CountryField(_("country"), help_text=_("Where the organisation is based."))
    languages = models.ManyToManyField(
        "vse_referrals.Language",
        verbose_name=_("languages"),
        blank=True,
        related_name="organisations",
        help_text=_("Languages in which the organisation can support a referred victim."),
    )
    accepts_referrals = models.BooleanField(
        _("accepts referrals"),
        default=True,
        help_text=_("Untick while the organisation cannot take cross-border referrals at all."),
    )
    capacity_status = models.CharField(
        _("capacity"),
        max_length=20,
        choices=CapacityStatus.choices,
        default=CapacityStatus.CAPACITY,
    )
    contact_points_group = models.OneToOneField(
        Group,
        verbose_name=_("contact points group"),
        on_delete=models.PROTECT,
        editable=False,
        related_name="vse_organisation",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [
            ("act_for_organisation", _("Can send and receive referrals for the organisation")),
        ]

    def __str__(self):
        return self.name

    @property
    def name_with_country(self):
        """How a page names a member beside its country: "Brottsofferstöd Norden (demo), Sweden".

        A comma, not brackets: names often end in a bracket of their own."""
        return f"{self.name}, {self.country.name}"

    def save(self, *args, **kwargs):
        # One transaction with the post_save receiver (signals.organisation_saved), which names the
        # group and grants it the permission: no organisation without its group's grant.
        with transaction.atomic():
            if self._state.adding and not self.contact_points_group_id:
                # A placeholder name: the final one includes the primary key, which is unique.
                self.contact_points_group = Group.objects.create(name=f"vse-referrals-pending-{uuid.uuid4().hex}")
            super().save(*args, **kwargs)


class ContactPointQuerySet(models.QuerySet):
    def confirmed(self):
        """Designations a second person confirmed (four eyes, see `vse_referrals.designations`)."""
        return self.filter(confirmed_at__isnull=False)

    def pending(self):
        """Designations that await their confirmation: they grant nothing yet."""
        return self.filter(confirmed_at__isnull=True)

    def active(self, at=None):
        """Confirmed designations in force at `at` (now by default): the only ones that grant access."""
        at = at or timezone.now()
        return (
            self.confirmed().filter(active_from__lte=at).filter(Q(active_until__isnull=True) | Q(active_until__gt=at))
        )

    def not_ended(self, at=None):
        """Designations in force now or starting later, confirmed or not (listings show both)."""
        at = at or timezone.now()
        return self.filter(Q(active_until__isnull=True) | Q(active_until__gt=at))

    def overlapping(self, start, end):
        """Designations whose period shares at least one instant with [start, end)."""
        designations = self.filter(Q(active_until__isnull=True) | Q(active_until__gt=start))
        if end is not None:
            designations = designations.filter(active_from__lt=end)
        return designations


class ContactPoint(NotInReferenceIndex, models.Model):
    """A user designated by VSE to send and receive referrals for one organisation."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary point of contact")
        DEPUTY = "deputy", _("Deputy")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="contact_points",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="vse_contact_points",
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.PRIMARY)
    active_from = models.DateTimeField(_("active from"), default=timezone.now)
    active_until = models.DateTimeField(
        _("active until"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a primary point of contact without an end date. A deputy needs one."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Four eyes: who proposed the designation (or its last change that grants more), and the second
    # person who confirmed it. Until `confirmed_at` is set, the designation grants nothing.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "role", "-active_from"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["user", "active_from", "active_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True) | Q(active_until__gt=models.F("active_from")),
                name="vse_referrals_contact_point_ends_after_start",
            ),
            # Nobody designates or confirms themselves, whatever path writes the row.
            models.CheckConstraint(
                condition=Q(proposed_by__isnull=True) | ~Q(proposed_by=models.F("user")),
                name="vse_referrals_contact_point_not_self_proposed",
                violation_error_message=_("Nobody can designate themselves."),
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("user")),
                name="vse_referrals_contact_point_not_self_confirmed",
                violation_error_message=_("Nobody can confirm their own designation."),
            ),
        ]

    def __str__(self):
        return f"{self.user_display} ({self.organisation})"

    @property
    def user_display(self):
        return user_display_name(self.user)

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    def has_ended(self, at=None):
        return self.active_until is not None and self.active_until <= (at or timezone.now())

    def is_active(self, at=None):
        """The instance form of `ContactPointQuerySet.active()`."""
        at = at or timezone.now()
        return self.is_confirmed and self.active_from <= at and not self.has_ended(at)

    @property
    def status_label(self):
        now = timezone.now()
        if self.has_ended(now):
            return _("Ended")
        if not self.is_confirmed:
            return _("Awaiting confirmation")
        if self.active_from > now:
            return _("Scheduled")
        return _("Active")

    def clean(self):
        super().clean()
        if self.active_from and self.active_until and self.active_until <= self.active_from:
            raise ValidationError({"active_until": _("The end of the designation must be after its start.")})
        if self.role == self.Role.DEPUTY and not self.active_until:
            raise ValidationError({"active_until": _("A deputy is designated for a limited time: give an end date.")})
        if self.user_id and self.user_id == self.proposed_by_id:
            raise ValidationError(
                {"user": _("You cannot designate yourself: another network administrator must do it.")}
            )
        if self.user_id and self.user_id == self.confirmed_by_id:
            raise ValidationError(_("Nobody can confirm their own designation."))
        if self.user_id and not self.user.is_active:
            raise ValidationError({"user": _("This user account is deactivated; activate it before designating it.")})
        if self.user_id and self.organisation_id and self.active_from:
            self._validate_no_overlap()

    def _validate_no_overlap(self):
        others = ContactPoint.objects.exclude(pk=self.pk).overlapping(self.active_from, self.active_until)
        same_user = others.filter(user_id=self.user_id).select_related("organisation").first()
        if same_user and same_user.organisation_id == self.organisation_id:
            raise ValidationError(
                {"user": _("This user is already designated for this organisation during this period.")}
            )
        if same_user:
            raise ValidationError(
                {
                    "user": _(
                        "This user is already a contact point of %(organisation)s during this period. "
                        "A user can be a contact point of only one organisation at a time."
                    )
                    % {"organisation": same_user.organisation}
                }
            )
        same_role = others.filter(organisation_id=self.organisation_id, role=self.role).select_related("user").first()
        if same_role:
            message = {
                self.Role.PRIMARY: _(
                    "%(organisation)s already has a primary point of contact during this period (%(user)s). "
                    "End that designation first or choose dates that do not overlap."
                ),
                self.Role.DEPUTY: _(
                    "%(organisation)s already has a deputy during this period (%(user)s). "
                    "End that designation first or choose dates that do not overlap."
                ),
            }[self.role]
            raise ValidationError(
                {"role": message % {"organisation": self.organisation, "user": same_role.user_display}}
            )


def user_display_name(user):
    return user.get_full_name() or user.get_username()
