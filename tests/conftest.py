import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connections

from vse_referrals.models import ContactPoint, Organisation

from . import builders


@pytest.fixture
def org_a(db):
    return builders.make_organisation("Organisation A", country="FR")


@pytest.fixture
def org_b(db):
    return builders.make_organisation("Organisation B", country="SE")


@pytest.fixture
def roles(org_a, org_b, sender, receiver):
    """Every kind of user the access rule must tell apart, keyed by a readable name."""
    global_perms = builders.make_user("global-perms")
    group = Group.objects.create(name="Global referral permissions")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="vse_referrals"))
    global_perms.groups.add(group)

    in_group_only = builders.make_user("in-group-only")
    in_group_only.groups.add(org_a.contact_points_group)

    deactivated = builders.make_contact_point(builders.make_organisation("Organisation C"), username="deactivated")
    deactivated.is_active = False
    deactivated.save()

    return {
        "no organisation": builders.make_user("no-organisation"),
        "contact point of A": sender,
        "contact point of B": receiver,
        "deputy of A": builders.make_contact_point(
            org_a, ContactPoint.Role.DEPUTY, username="deputy-a", ends_in=timedelta(days=10)
        ),
        "ended contact point of B": builders.make_contact_point(
            org_b,
            ContactPoint.Role.DEPUTY,
            username="ended-b",
            started_ago=timedelta(days=90),
            ends_in=-timedelta(days=1),
        ),
        "scheduled contact point of B": builders.make_contact_point(
            org_b,
            ContactPoint.Role.DEPUTY,
            username="scheduled-b",
            starts_in=timedelta(days=5),
            ends_in=timedelta(days=30),
        ),
        "superuser": builders.make_superuser(),
        "staff": builders.make_user("staff", is_staff=True),
        "global model permissions": global_perms,
        "group member without designation": in_group_only,
        "deactivated contact point of C": deactivated,
    }


@pytest.fixture
def sender(org_a):
    """The primary point of contact of organisation A (the referring side in most tests)."""
    return builders.make_contact_point(org_a, username="sender-a")


@pytest.fixture
def receiver(org_b):
    return builders.make_contact_point(org_b, username="receiver-b")


@pytest.fixture
def receiver_deputy(org_b):
    return builders.make_contact_point(org_b, ContactPoint.Role.DEPUTY, username="deputy-b", ends_in=timedelta(days=10))


@pytest.fixture
def network_admin(db):
    """A VSE staff member who manages the network through model permissions (not a superuser)."""
    user = builders.make_user("network-admin", is_staff=True)
    builders.grant_model_permissions(user, Organisation)
    builders.grant_model_permissions(user, ContactPoint)
    return user


@pytest.fixture(autouse=True)
def private_attachment_root(settings, tmp_path):
    """Each test stores its encrypted attachments in its own temporary folder."""
    settings.VSE_REFERRALS_ATTACHMENT_ROOT = tmp_path / "private"
    return settings.VSE_REFERRALS_ATTACHMENT_ROOT


# Browser tests -------------------------------------------------------------------------------
#
# Tests with real transactions (the browser tests, whose live server needs committed data) use
# `django_db(transaction=True, serialized_rollback=True)`: the flush after each of them removes
# what migrations made (root page, site, groups, vocabularies), and serialized rollback puts it
# back before the next one. Every such test must ask for it: after a serialized test the flush
# skips post_migrate, so a test without it would find no content types or permissions.

CHROMIUM = os.environ.get("VSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (`make test` installs Chromium when it is missing)."""
    from playwright.sync_api import expect, sync_playwright

    # CI machines are small and busy: wait up to 15 s for what a person would wait for.
    expect.set_options(timeout=15_000)

    assert os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: run `make test`, which installs it."
    # Playwright's sync API keeps an event loop running in this thread; Django's ORM calls made
    # by the tests themselves are still synchronous, so its async-safety guard is lifted here only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    outside = {alias: connections[alias] for alias in connections}
    try:
        with sync_playwright() as playwright:
            # Inside Playwright's context Django opens new connection objects to the same test
            # database; they need the snapshot of what migrations made, which serialized rollback
            # restores before each browser test (the flush after each test removes it).
            for alias, connection in outside.items():
                snapshot = getattr(connection, "_test_serialized_contents", None)
                if snapshot is not None:
                    connections[alias]._test_serialized_contents = snapshot
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
