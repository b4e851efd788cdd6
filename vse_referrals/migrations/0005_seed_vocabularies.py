"""Seed the directory's vocabularies with the terms VSE members use; VSE edits them as snippets."""

from django.db import migrations
from django.utils.text import slugify

TERMS = {
    "AssistanceForm": [
        "Emotional support",
        "Information on rights and procedures",
        "Practical help",
        "Legal advice",
        "Support during criminal proceedings",
        "Court accompaniment",
        "Psychological counselling and trauma care",
        "Safe accommodation",
        "Help with compensation claims",
        "Restorative justice",
        "Referral to specialist services",
        "Interpreting",
    ],
    "VictimType": [
        "All victims of crime",
        "Victims of crime abroad",
        "Domestic violence",
        "Sexual violence",
        "Children and young people",
        "Families of homicide victims",
        "Terrorism",
        "Human trafficking",
        "Hate crime",
        "Road traffic crime",
        "Fraud and cybercrime",
        "Older victims",
        "Victims with disabilities",
    ],
    "OutreachChannel": [
        "Referral by the police",
        "Website",
        "Social media",
        "Leaflets and posters",
        "Hospitals and health services",
        "Courts and prosecutors",
        "Consulates and embassies",
        "Schools",
        "Community organisations",
        "Awareness campaigns",
    ],
    "AccessChannel": [
        "Phone helpline",
        "Online chat",
        "E-mail",
        "Walk-in centre",
        "By appointment",
        "Home visit",
        "Outreach team",
        "Video call",
        "Text message",
    ],
    "FundingSource": [
        "National government",
        "Regional or local government",
        "European Union funds",
        "Offender levies and fines",
        "Private donations",
        "Foundations",
        "Membership fees",
        "Companies",
        "Lottery",
    ],
    "AccessibilityFeature": [
        "Step-free access",
        "Sign language",
        "Easy-to-read information",
        "Hearing loop",
        "Interpreters",
        "Information for blind and partially sighted people",
        "Child-friendly rooms",
        "Women-only staff on request",
    ],
}


def seed(apps, schema_editor):
    for model_name, names in TERMS.items():
        model = apps.get_model("vse_referrals", model_name)
        for order, name in enumerate(names):
            model.objects.get_or_create(code=slugify(name), defaults={"name": name, "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("vse_referrals", "0004_directory")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
