"""The two safety answers become "not stated / yes / no".

Until now "this number is safe to call" and "it is safe to leave a message" were single tick-boxes
defaulting to unticked, so an unticked box was stored as False whether the sender answered "no" or
never answered at all; the receiver read both as "No". The old form offered no way to say "no"
apart from leaving the box alone, so False cannot be told apart from "not answered", and calling
it "no" would claim an answer nobody gave. Existing True stays yes; existing False becomes None,
"not stated", which the case page shows as such (the receiver then checks with the sender before
calling). The fields are plain booleans, not encrypted (crypto.py encrypts only identity and
narrative fields), so a queryset update is enough.

Reversing turns "not stated" back into False, the old unticked box.
"""

from django.db import migrations, models

SAFETY_FIELDS = ("safe_to_call", "safe_to_leave_message")


def unticked_means_not_stated(apps, schema_editor):
    cases = apps.get_model("vse_referrals", "ReferralCase").objects
    for name in SAFETY_FIELDS:
        cases.filter(**{name: False}).update(**{name: None})


def not_stated_means_unticked(apps, schema_editor):
    cases = apps.get_model("vse_referrals", "ReferralCase").objects
    for name in SAFETY_FIELDS:
        cases.filter(**{f"{name}__isnull": True}).update(**{name: False})


class Migration(migrations.Migration):
    dependencies = [
        ("vse_referrals", "0014_statistics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referralcase",
            name="safe_to_call",
            field=models.BooleanField(blank=True, default=None, null=True, verbose_name="this number is safe to call"),
        ),
        migrations.AlterField(
            model_name="referralcase",
            name="safe_to_leave_message",
            field=models.BooleanField(
                blank=True, default=None, null=True, verbose_name="it is safe to leave a message"
            ),
        ),
        migrations.RunPython(unticked_means_not_stated, not_stated_means_unticked, elidable=False),
    ]
