"""Load the example intranet's demo data: member organisations, contact points and accounts.

Idempotent: running it again updates the same records instead of duplicating them. The
passwords are for the local demo only and are printed at the end.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from wagtail.models import Page, Site

from intranet import demo_directory, demo_referrals, demo_statistics, demo_translations
from intranet.models import HomePage
from vse_referrals import designations
from vse_referrals.models import ContactPoint, Language, Organisation

DEMO_PASSWORD = "vse-demo-only"

ORGANISATIONS = [
    # name, country, languages, capacity
    ("Brottsofferstöd Norden (demo)", "SE", ["sv", "en", "fi"], "capacity"),
    ("Aide aux Victimes France (demo)", "FR", ["fr", "en", "ar"], "capacity"),
    ("Opferhilfe Deutschland (demo)", "DE", ["de", "en", "tr"], "waitlist"),
    ("Apoio à Vítima Portugal (demo)", "PT", ["pt", "en", "es"], "capacity"),
    ("Victim Support Ireland (demo)", "IE", ["en", "ga", "pl"], "capacity"),
    ("Crime Victims Network USA (demo)", "US", ["en", "es"], "no-capacity"),
]

# username, first name, last name, organisation index, role
CONTACT_POINTS = [
    ("poc.se", "Astrid", "Lindqvist", 0, ContactPoint.Role.PRIMARY),
    ("poc.fr", "Camille", "Durand", 1, ContactPoint.Role.PRIMARY),
    ("deputy.fr", "Louis", "Martin", 1, ContactPoint.Role.DEPUTY),
    ("poc.de", "Jonas", "Becker", 2, ContactPoint.Role.PRIMARY),
    ("poc.pt", "Inês", "Carvalho", 3, ContactPoint.Role.PRIMARY),
    ("poc.ie", "Siobhán", "Byrne", 4, ContactPoint.Role.PRIMARY),
    ("poc.us", "Maria", "Alvarez", 5, ContactPoint.Role.PRIMARY),
]

# A deputy the administrator proposed and nobody has confirmed yet: the primary point of contact
# of Portugal (poc.pt) sees it on the dashboard and may confirm it; until then it grants nothing.
PENDING_DEPUTY = ("deputy.pt", "Rui", "Lopes", 3)

INTRANET_GROUP = "Intranet members"


class Command(BaseCommand):
    help = "Create or update the example intranet's demo organisations, contact points and accounts."

    def handle(self, *args, **options):
        # The demo's own notifications are not printed: they would bury the accounts below.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            referrals, profiles, languages = self.load()
        if referrals:
            self.stdout.write(f"Created {referrals} demo referrals.")
        if profiles:
            self.stdout.write(f"Created a member directory of {profiles} demo profiles at /find-support/.")
        for code in languages:
            self.stdout.write(
                f"Translated the directory into {code}: /{code}/find-support/ (some profiles left untranslated)."
            )
        self.print_accounts()

    @transaction.atomic
    def load(self):
        home = self.set_up_home_page()
        members = self.intranet_members_group()
        organisations = [self.organisation(*spec) for spec in ORGANISATIONS]
        admin = self.account("admin", "VSE", "Administrator", is_superuser=True)
        # Wagtail's Editors draft and submit; Moderators publish: the directory's editor does both.
        self.account("editor", "Eva", "Editor", groups=list(Group.objects.filter(name__in=["Editors", "Moderators"])))
        for username, first, last, index, role in CONTACT_POINTS:
            user = self.account(username, first, last, groups=[members])
            self.designate(user, organisations[index], role)
        former = self.account("former.de", "Paul", "Schmidt", groups=[members])
        self.designate(former, organisations[2], ContactPoint.Role.DEPUTY, ended=True)
        proposed = self.account(*PENDING_DEPUTY[:3], groups=[members])
        self.propose_deputy(proposed, organisations[PENDING_DEPUTY[3]], admin)
        by_country = {organisation.country.code: organisation for organisation in organisations}
        primaries = {
            ORGANISATIONS[index][1]: get_user_model().objects.get(username=username)
            for username, _first, _last, index, role in CONTACT_POINTS
            if role == ContactPoint.Role.PRIMARY
        }
        referrals = demo_referrals.load(by_country, primaries)
        if referrals:  # a first load: a year of history for the statistics' charts
            referrals += demo_statistics.load(by_country)
        profiles = demo_directory.load(home)
        return referrals, profiles, demo_translations.load()

    def set_up_home_page(self):
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site and isinstance(site.root_page.specific, HomePage):
            return site.root_page.specific
        root = Page.get_first_root_node()
        home = HomePage.objects.filter(slug="intranet").first()
        if home is None:
            home = root.add_child(
                instance=HomePage(
                    title="VSE intranet",
                    slug="intranet",
                    intro="<p>The example intranet of Victim Support Europe's member network. "
                    '<a href="/find-support/">Find victim support</a> in the member directory.</p>',
                )
            )
        if site:
            old_root = site.root_page
            site.root_page = home
            site.save()
            if old_root.slug == "home" and old_root.specific_class is Page:
                old_root.delete()
        else:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
        return home

    def intranet_members_group(self):
        group, _ = Group.objects.get_or_create(name=INTRANET_GROUP)
        group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
        return group

    def organisation(self, name, country, language_codes, capacity):
        organisation, _ = Organisation.objects.update_or_create(
            name=name, defaults={"country": country, "capacity_status": capacity, "accepts_referrals": True}
        )
        organisation.languages.set(Language.objects.filter(code__in=language_codes))
        return organisation

    def account(self, username, first_name, last_name, is_superuser=False, groups=()):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.org",
                "is_superuser": is_superuser,
                "is_staff": is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(*groups)
        return user

    def designate(self, user, organisation, role, ended=False):
        now = timezone.now()
        if ended:
            period = {"active_from": now - timedelta(days=400), "active_until": now - timedelta(days=30)}
        elif role == ContactPoint.Role.DEPUTY:
            period = {"active_from": now - timedelta(days=1), "active_until": now + timedelta(days=90)}
        else:
            period = {"active_from": now - timedelta(days=365), "active_until": None}
        designation = ContactPoint.objects.filter(user=user, organisation=organisation, role=role).first()
        if designation is None:
            # The demo's designations are in force from the start, as if confirmed long ago.
            designation = ContactPoint(user=user, organisation=organisation, role=role, confirmed_at=now, **period)
        elif not ended and not designation.is_active(now):
            # The demo's time-boxed deputy is extended so the demo keeps working months later.
            designation.active_until = period["active_until"]
        designation.full_clean()
        designation.save()

    def propose_deputy(self, user, organisation, proposer):
        """Propose `user` as deputy through the admin's path (pending, everyone told); run again, the
        proposal is pending again for another 90 days."""
        now = timezone.now()
        period = {"active_from": now, "active_until": now + timedelta(days=90)}
        designation = ContactPoint.objects.filter(user=user, organisation=organisation).first()
        if designation is not None:
            designation.confirmed_by = designation.confirmed_at = None
            designation.proposed_by = proposer
            designation.active_from, designation.active_until = period["active_from"], period["active_until"]
            designation.save()
            return
        designation = ContactPoint(
            user=user, organisation=organisation, role=ContactPoint.Role.DEPUTY, proposed_by=proposer, **period
        )
        designation.full_clean()
        designations.designate(designation, by=proposer)

    def print_accounts(self):
        self.stdout.write(
            self.style.SUCCESS("Example data loaded. Demo accounts (password for all: %s):" % DEMO_PASSWORD)
        )
        self.stdout.write("  admin       VSE administrator (superuser): manages organisations, sees no case content")
        self.stdout.write("  editor      page editor and moderator: edits and publishes the directory")
        for username, first, last, index, role in CONTACT_POINTS:
            label = "deputy" if role == ContactPoint.Role.DEPUTY else "point of contact"
            self.stdout.write(f"  {username:<11} {label} of {ORGANISATIONS[index][0]} ({first} {last})")
        self.stdout.write(f"  former.de   ended deputy of {ORGANISATIONS[2][0]}: has no access any more")
        self.stdout.write(
            f"  deputy.pt   deputy of {ORGANISATIONS[PENDING_DEPUTY[3]][0]} awaiting confirmation (by poc.pt): "
            "no access yet"
        )
        self.stdout.write("These accounts are for the local demo only.")
