"""Fictional referrals between the demo organisations, one or more in every status.

Made through the real workflow, so timelines, notifications and deadlines are what a user would
see. Every name, number and story here is invented.
"""

from datetime import timedelta

from django.utils import timezone

from vse_referrals import retention, workflow
from vse_referrals.models import Language, Outcome, ReferralCase
from vse_referrals.permissions import actor_for_user

STORIES = [
    # sender, receiver, priority, final state, person
    ("SE", "FR", "routine", "draft", ("Lina Berg", "F", "26-64", "theft of documents in Lyon")),
    ("FR", "DE", "stat", "requested", ("Hugo Petit", "M", "18-25", "assault outside a bar in Cologne")),
    ("DE", "PT", "urgent", "received", ("Mara Schulz", "F", "26-64", "robbery on holiday in Lisbon")),
    ("PT", "IE", "routine", "accepted", ("Rui Costa", "M", "26-64", "burglary of a rented flat in Cork")),
    ("IE", "SE", "urgent", "in-progress", ("Aoife Walsh", "F", "18-25", "sexual violence during an exchange year")),
    ("US", "FR", "urgent", "on-hold", ("Dana Brooks", "F", "65+", "fraud against a tourist in Paris")),
    ("FR", "PT", "routine", "rejected", ("Yanis Moreau", "M", "26-64", "road traffic crime in Porto")),
    ("SE", "DE", "routine", "cancelled", ("Erik Holm", "M", "26-64", "stolen car in Berlin")),
    ("DE", "IE", "routine", "completed", ("Jana Wolf", "F", "26-64", "harassment at work in Dublin")),
    ("PT", "US", "urgent", "failed", ("Sofia Lima", "F", "18-25", "assault in New York")),
    ("IE", "FR", "stat", "requested", ("Case IE-77", "", "child", "a child assaulted on a school trip in Nice")),
    # Consent withdrawn: closed, and its personal data purged as the nightly job would.
    ("SE", "IE", "routine", "purged", ("Nils Ek", "M", "26-64", "pickpocketing in Dublin")),
]


def load(organisations_by_country, contact_point_by_country):
    """Create the demo referrals unless they exist; returns how many were created."""
    demo_senders = list(organisations_by_country.values())
    if ReferralCase.objects.filter(sending_organisation__in=demo_senders).exists():
        return 0
    for sender_country, receiver_country, priority, state, person in STORIES:
        sender = contact_point_by_country[sender_country]
        receiver = contact_point_by_country[receiver_country]
        case = _draft(
            organisations_by_country[sender_country],
            organisations_by_country[receiver_country],
            sender,
            priority,
            person,
        )
        if state != "draft":
            _advance(case, state, sender, receiver)
    return len(STORIES)


def _draft(sending, receiving, user, priority, person):
    name, gender, age_band, story = person
    today = timezone.localdate()
    case = ReferralCase.objects.create(
        sending_organisation=sending,
        receiving_organisation=receiving,
        created_by=user,
        priority=priority,
        consent_obtained_on=today - timedelta(days=1),
        consent_method="in-person",
        consent_to_share=True,
        consent_to_contact=age_band != "child",
        consent_to_report_back=True,
        name=name,
        name_is_code=name.startswith("Case "),
        age_band=age_band,
        gender={"F": "Female", "M": "Male"}.get(gender, ""),
        caregiver="Mother, reachable through the referring organisation." if age_band == "child" else "",
        contact_channels=["phone", "email"] if age_band != "child" else ["via-sender"],
        phone="+00 000 000 000" if age_band != "child" else "",
        email="victim@example.invalid" if age_band != "child" else "",
        best_times="Weekdays after 17:00",
        safe_to_call=True,
        crime_country=receiving.country,
        residence_country=sending.country,
        current_location="At home" if priority == "routine" else "Still abroad, staying with friends",
        leaves_country_on=today + timedelta(days=3) if priority == "stat" else None,
        complaint_filed=True,
        complaint_country=receiving.country,
        police_reference="DEMO-0000",
        crime_type="assault" if "assault" in story else "other",
        crime_date=today - timedelta(days=10),
        crime_place=story,
        personal_characteristics="Fictional demo person.",
        crime_nature=f"Fictional demo story: {story}.",
        circumstances="Travelled alone; does not speak the local language.",
        risk_intimidation=priority == "stat",
        victim_wishes="Wants information on compensation and someone to talk to in their language.",
        support_needed=["emotional", "information", "compensation"],
        services_provided="First emotional support by phone.",
        referral_reason=f"The victim has returned home after {story} and needs support in the country of the crime.",
    )
    case.languages.set(Language.objects.filter(code__in=["en"]))
    return case


def _advance(case, state, sender_user, receiver_user):
    sender, receiver = actor_for_user(sender_user), actor_for_user(receiver_user)
    workflow.perform(case, "send", sender)
    if state == "requested":
        if case.priority == "stat" and not case.name_is_code:
            # Sent two days ago: its 24-hour deadline has passed, so it shows as overdue.
            past = timezone.now() - timedelta(days=2)
            ReferralCase.objects.filter(pk=case.pk).update(sent_at=past, respond_by=past + timedelta(hours=24))
        return
    if state == "cancelled":
        workflow.perform(case, "withdraw", sender, reason="The victim found support through their insurer.")
        return
    if state == "purged":
        workflow.perform(case, "withdraw_consent", sender)
        retention.purge_case(case.pk)
        return
    workflow.perform(case, "open", receiver)
    if state == "received":
        return
    if state == "rejected":
        workflow.perform(
            case,
            "decline",
            receiver,
            reason="We do not cover road traffic crime; please contact the national traffic victims' fund.",
        )
        return
    if state == "failed":
        past = timezone.now() - timedelta(days=20)
        ReferralCase.objects.filter(pk=case.pk).update(sent_at=past, respond_by=past + timedelta(hours=72))
        workflow.perform(ReferralCase.objects.get(pk=case.pk), "expire")
        return
    workflow.perform(case, "accept", receiver)
    workflow.add_message(case, receiver, "<p>Thank you, we will call the victim <strong>tomorrow morning</strong>.</p>")
    if state == "accepted":
        return
    if state == "on-hold":
        workflow.perform(
            case, "request_information", receiver, reason="Does the victim need an interpreter for the court hearing?"
        )
        return
    workflow.perform(case, "start", receiver)
    workflow.perform(case, "record_contact", receiver)
    if state == "completed":
        workflow.perform(
            case,
            "close",
            receiver,
            outcome=Outcome.SUPPORTED,
            reason="Victim supported through the trial; compensation claim filed.",
        )
