"""Validation of organisations and designations: bad input gets a clear message."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vse_referrals.models import ContactPoint, Language

from . import builders

pytestmark = pytest.mark.django_db


def errors_of(designation):
    with pytest.raises(ValidationError) as caught:
        designation.full_clean()
    return caught.value.message_dict


def new_designation(user, organisation, role=ContactPoint.Role.PRIMARY, start=None, end=None):
    return ContactPoint(
        user=user, organisation=organisation, role=role, active_from=start or timezone.now(), active_until=end
    )


def test_end_before_start_is_refused(org_a):
    now = timezone.now()
    errors = errors_of(new_designation(builders.make_user(), org_a, start=now, end=now - timedelta(hours=1)))
    assert errors["active_until"] == ["The end of the designation must be after its start."]


def test_database_refuses_end_before_start_too(org_a):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        new_designation(builders.make_user(), org_a, start=now, end=now - timedelta(hours=1)).save()


def test_deputy_must_be_time_boxed(org_a):
    errors = errors_of(new_designation(builders.make_user(), org_a, ContactPoint.Role.DEPUTY))
    assert errors["active_until"] == ["A deputy is designated for a limited time: give an end date."]


def test_user_cannot_be_contact_point_of_two_organisations(org_a, org_b):
    user = builders.make_user()
    builders.designate(user, org_a)
    errors = errors_of(new_designation(user, org_b))
    assert "already a contact point of Organisation A" in errors["user"][0]


def test_duplicate_designation_is_refused(org_a):
    user = builders.make_user()
    builders.designate(user, org_a)
    errors = errors_of(new_designation(user, org_a, ContactPoint.Role.DEPUTY, end=timezone.now() + timedelta(days=3)))
    assert errors["user"] == ["This user is already designated for this organisation during this period."]


def test_second_primary_at_the_same_time_is_refused(org_a):
    builders.make_contact_point(org_a, username="first")
    errors = errors_of(new_designation(builders.make_user("second"), org_a))
    assert "already has a primary point of contact during this period (First Tester)" in errors["role"][0]


def test_handover_without_overlap_is_allowed(org_a, org_b):
    now = timezone.now()
    outgoing = builders.make_user()
    new_designation(outgoing, org_a, start=now - timedelta(days=100), end=now + timedelta(days=10)).save()
    incoming = new_designation(builders.make_user(), org_a, start=now + timedelta(days=10))
    incoming.full_clean()
    # Once the first designation has ended the user may be designated elsewhere.
    later = new_designation(outgoing, org_b, start=now + timedelta(days=11))
    later.full_clean()


def test_deactivated_account_cannot_be_designated(org_a):
    errors = errors_of(new_designation(builders.make_user(is_active=False), org_a))
    assert "deactivated" in errors["user"][0]


def test_editing_a_designation_does_not_conflict_with_itself(org_a):
    designation = builders.designate(builders.make_user(), org_a)
    designation.active_until = timezone.now() + timedelta(days=5)
    designation.full_clean()


def test_organisation_requires_a_country():
    from vse_referrals.models import Organisation

    with pytest.raises(ValidationError) as caught:
        Organisation(name="No country").full_clean(exclude=["contact_points_group"])
    assert "country" in caught.value.message_dict


def test_str_of_models(org_a):
    user = builders.make_user("camille", first_name="Camille", last_name="Durand")
    designation = builders.designate(user, org_a)
    assert str(org_a) == "Organisation A"
    assert str(designation) == "Camille Durand (Organisation A)"
    assert designation.status_label == "Active"


def test_languages_are_seeded_and_translated():
    from django.utils import translation

    french = Language.objects.get(code="fr")
    maltese = Language.objects.get(code="mt")
    with translation.override("de"):
        assert str(french) == "Französisch"
        assert str(maltese) == "Maltesisch"  # a name Django lacks, in our own catalogue
    assert Language.objects.count() > 90


def test_validation_messages_are_translated(org_a):
    from django.utils import translation

    now = timezone.now()
    with translation.override("fr"):
        errors = errors_of(new_designation(builders.make_user(), org_a, start=now, end=now - timedelta(hours=1)))
    assert errors["active_until"] == ["La fin de la désignation doit être postérieure à son début."]


def test_a_new_organisation_is_saved_with_its_group_or_not_at_all(monkeypatch):
    from django.contrib.auth.models import Group

    from vse_referrals.models import Organisation

    def unavailable(organisation, created):
        raise RuntimeError("the permission could not be granted")

    # The post_save receiver names the group and grants the permission, in the save's transaction.
    monkeypatch.setattr("vse_referrals.signals.set_up_organisation_group", unavailable)
    groups = Group.objects.count()
    with pytest.raises(RuntimeError):
        Organisation.objects.create(name="Half made", country="FR")
    assert not Organisation.objects.filter(name="Half made").exists()
    assert Group.objects.count() == groups  # nor its placeholder group


def module_name(path, app_root):
    return ".".join(path.relative_to(app_root.parent).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(path, app_root):
    """Dotted names a module of the app imports (lazily too), relative imports resolved."""
    package = path.relative_to(app_root.parent).parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [node.module])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # from .. import conf


def is_models(name):
    return name == "vse_referrals.models" or name.startswith("vse_referrals.models.")


def test_models_import_nothing_above_them():
    """No model module imports a module of the app that imports the models (views, the access rule,
    the directory's queries...): the models are a lower layer, and the app has no import loop."""
    import vse_referrals

    root = Path(vse_referrals.__file__).parent
    graph = {
        module_name(path, root): set(imported_modules(path, root))
        for path in root.rglob("*.py")
        if "migrations" not in path.parts
    }
    above = {module for module, names in graph.items() if not is_models(module) and any(map(is_models, names))}
    from_models = {name for module, names in graph.items() if is_models(module) for name in names}
    assert {"vse_referrals.permissions", "vse_referrals.directory"} <= above  # the check sees both sides
    assert "vse_referrals.conf" in from_models
    assert not above & from_models


def test_referrals_and_access_grants_stay_out_of_wagtails_reference_index():
    """Not content: no "usage" page lists them, and saving one queues no indexing task."""
    from django.apps import apps
    from wagtail.models import ReferenceIndex

    private = {
        "ReferralCase",
        "CaseMessage",
        "CaseAttachment",
        "CaseEvent",
        "DeadlineAlert",
        "Notification",
        "ContactPoint",
        "OrganisationUserObjectPermission",
        "OrganisationGroupObjectPermission",
    }
    models = {model.__name__: model for model in apps.get_app_config("vse_referrals").get_models()}
    assert private <= set(models)
    assert not [name for name in private if ReferenceIndex.model_is_indexable(models[name])]
