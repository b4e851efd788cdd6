"""The referral flow through the views: refer, preview, send, open, answer, talk, close.

Then bad input on every form (the user's input is kept, a clear error is shown, nothing saved is
lost), rich text sanitising, attachments, conflicts, the wrong side, and what consent hides.
"""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import rich_text

from vse_referrals import workflow
from vse_referrals.models import CaseAttachment, CaseEvent, CaseMessage, ContactPoint, EventKind, ReferralCase, Status

from . import builders

pytestmark = pytest.mark.django_db

MESSAGE_FEATURES = ["bold", "italic", "ol", "ul", "link"]
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 200
    + b"This program cannot be run in DOS mode"
)
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
P = builders.PERSONAL_VALUES


# Helpers ---------------------------------------------------------------------------------------


def case_url(case, name="case", *args):
    return reverse(f"vse_referrals:{name}", args=[case.pk, *args])


def transition(client, case, name, **data):
    return client.post(reverse("vse_referrals:transition", args=[case.pk, name]), data)


def post_message(client, case, html):
    return client.post(case_url(case, "message"), {"body": rich_text(html, features=MESSAGE_FEATURES)})


def upload(client, case, name, content):
    return client.post(case_url(case, "upload"), {"files": SimpleUploadedFile(name, content)})


def page_text(response):
    """The visible text of a page, whitespace collapsed (entities decoded)."""
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def flash(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def reload(case):
    return ReferralCase.objects.get(pk=case.pk)


def event_kinds(case):
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def state(case):
    row = ReferralCase.objects.filter(pk=case.pk).values("status", "status_reason", "outcome", "updated_at").get()
    return (
        row,
        event_kinds(case),
        CaseMessage.objects.filter(case=case).count(),
        CaseAttachment.objects.filter(case=case).count(),
    )


def referral_data(receiver, **overrides):
    """A complete referral as the form posts it."""
    today = timezone.localdate()
    data = {
        "receiving_organisation": receiver.pk,
        "priority": "urgent",
        "respond_by": "",
        "contact_by": "",
        "consent_obtained_on": today.isoformat(),
        "consent_method": "in-person",
        "consent_to_share": "on",
        "consent_to_contact": "on",
        "consent_to_report_back": "on",
        "referred_person": "victim",
        "name": P["name"],
        "date_of_birth": "1991-04-17",
        "age_band": "26-64",
        "gender": "female",
        "contact_channels": ["phone", "email"],
        "phone": P["phone"],
        "email": P["email"],
        "crime_country": receiver.country.code,
        "residence_country": "FR",
        "police_reference": P["police_reference"],
        "crime_type": "robbery",
        "crime_date": (today - timedelta(days=3)).isoformat(),
        "crime_place": P["crime_place"],
        "personal_characteristics": P["personal_characteristics"],
        "victim_wishes": P["victim_wishes"],
        "support_needed": ["emotional", "legal"],
        "referral_reason": P["referral_reason"],
        "action": "preview",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def sender_client(client, sender):
    client.force_login(sender)
    return client


@pytest.fixture
def receiver_client(client_factory, receiver):
    return client_factory(receiver)


@pytest.fixture
def client_factory():
    from django.test import Client

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def sent(sender, org_b):
    return builders.sent_case(sender, org_b)


# The whole flow --------------------------------------------------------------------------------


def test_refer_form_preselects_the_receiver(sender_client, org_b):
    html = sender_client.get(reverse("vse_referrals:refer"), {"to": org_b.pk}).content.decode()
    assert f'<option value="{org_b.pk}" selected' in html
    plain = sender_client.get(reverse("vse_referrals:refer")).content.decode()
    assert f'<option value="{org_b.pk}" selected' not in plain


def form_action(response):
    return BeautifulSoup(response.content, "html.parser").find("form", attrs={"data-vse-referral-form": True})["action"]


def test_new_referral_form_posts_to_itself_until_saved(sender_client, org_b):
    url = f"{reverse('vse_referrals:refer')}?to={org_b.pk}"
    assert form_action(sender_client.get(url)) == url
    invalid = sender_client.post(url, referral_data(org_b, crime_date="not a date"))
    assert form_action(invalid) == url
    assert not ReferralCase.objects.exists()


def test_the_whole_referral_flow(sender_client, client_factory, sender, receiver, org_a, org_b):
    # The sender fills in the form, with a file, and asks for the preview.
    data = referral_data(org_b, files=SimpleUploadedFile("police-report.pdf", PDF_BYTES))
    response = sender_client.post(reverse("vse_referrals:refer"), data)
    case = ReferralCase.objects.get()
    assert response.status_code == 302
    assert response.url == case_url(case, "preview")
    assert case.status == Status.DRAFT and case.created_by == sender
    assert case.sending_organisation == org_a and case.receiving_organisation == org_b
    assert case.name == P["name"] and case.support_needed == ["emotional", "legal"]

    preview = sender_client.get(response.url)
    assert preview.status_code == 200
    text = page_text(preview)
    for value in P.values():
        assert value in text
    assert "police-report.pdf" in text
    assert case_url(case, "send") in preview.content.decode()

    response = sender_client.post(case_url(case, "send"))
    assert response.status_code == 302 and response.url == case_url(case)
    assert reload(case).status == Status.REQUESTED
    assert any("sent to Organisation B" in message for message in flash(response))

    # The receiver's first look marks it opened; the second does not open it again.
    receiver_client = client_factory(receiver)
    page = receiver_client.get(case_url(case))
    assert page.status_code == 200
    assert reload(case).status == Status.RECEIVED
    assert P["name"] in page_text(page) and P["phone"] in page_text(page)
    receiver_client.get(case_url(case))
    assert event_kinds(case).count(EventKind.RECEIVED) == 1

    assert transition(receiver_client, case, "accept").status_code == 302
    assert reload(case).status == Status.ACCEPTED

    transition(receiver_client, case, "request_information", reason="Which language does she prefer?")
    assert reload(case).status == Status.ON_HOLD
    sender_page = page_text(sender_client.get(case_url(case)))
    assert "Which language does she prefer?" in sender_page
    assert "Answer the request" in sender_page

    transition(sender_client, case, "give_information", reason="Polish, or English with an interpreter.")
    assert reload(case).status == Status.ACCEPTED  # back to where it was
    assert "Polish, or English with an interpreter." in page_text(receiver_client.get(case_url(case)))

    transition(receiver_client, case, "start")
    assert reload(case).status == Status.IN_PROGRESS
    transition(receiver_client, case, "record_contact")
    assert reload(case).victim_contacted_at is not None

    assert post_message(sender_client, case, "<p>Thank you for taking her case.</p>").status_code == 302
    assert post_message(receiver_client, case, "<p>We met her <strong>today</strong>.</p>").status_code == 302

    transition(
        receiver_client,
        case,
        "close",
        outcome="supported",
        reason="Counselling twice a week, case handed to court support.",
    )
    case = reload(case)
    assert case.status == Status.COMPLETED and case.outcome == "supported"

    # The sender sees every step, both messages and the outcome (the victim agreed to report back).
    text = page_text(sender_client.get(case_url(case)))
    for label in (
        "Referral sent",
        "Referral opened",
        "Referral accepted",
        "Information requested",
        "Information given",
        "Support started",
        "Victim contacted",
        "Case closed",
        "Thank you for taking her case.",
        "We met her today .",
        "Victim supported",
        "Counselling twice a week, case handed to court support.",
        "Completed",
    ):
        assert label in text, label
    kinds = event_kinds(case)
    for kind in (
        EventKind.SENT,
        EventKind.RECEIVED,
        EventKind.ACCEPTED,
        EventKind.INFORMATION_REQUESTED,
        EventKind.INFORMATION_GIVEN,
        EventKind.STARTED,
        EventKind.VICTIM_CONTACTED,
        EventKind.COMPLETED,
    ):
        assert kinds.count(kind) == 1, kind
    assert kinds.count(EventKind.MESSAGE) == 2

    # The receiver downloads the file the sender attached to the referral.
    attachment = case.attachments.get()
    download = receiver_client.get(case_url(case, "download", attachment.pk))
    assert download.content == PDF_BYTES


def test_save_draft_then_edit_keeps_what_was_typed(sender_client, org_b):
    response = sender_client.post(reverse("vse_referrals:refer"), referral_data(org_b, action="draft"))
    case = ReferralCase.objects.get()
    assert response.status_code == 302 and response.url == case_url(case, "edit")
    html = sender_client.get(response.url).content.decode()
    assert f'value="{P["name"]}"' in html
    response = sender_client.post(case_url(case, "edit"), referral_data(org_b, action="draft", name="Case code K-17"))
    assert response.status_code == 302
    assert reload(case).name == "Case code K-17"
    assert ReferralCase.objects.count() == 1


def test_discarding_a_draft_deletes_it_and_its_files(sender_client, sender, org_a, org_b, private_attachment_root):
    draft = builders.make_case(org_a, org_b, created_by=sender)
    attachment = workflow.add_attachment(
        draft, builders.acting(sender), SimpleUploadedFile("a.pdf", PDF_BYTES), "application/pdf"
    )
    stored = private_attachment_root / attachment.file.name
    assert stored.exists()
    response = sender_client.post(case_url(draft, "discard"))
    assert response.status_code == 302 and response.url == reverse("vse_referrals:inbox")
    assert not ReferralCase.objects.filter(pk=draft.pk).exists()
    assert not stored.exists()


# Bad input on the referral form ----------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("date_of_birth", "31/02/2020", "Enter a valid date."),
        ("date_of_birth", "2020-02-31", "Enter a valid date."),
        ("crime_date", "next-week", "Enter a valid date."),
        ("crime_date", (timezone.localdate() + timedelta(days=5)).isoformat(), "This date is in the future."),
        ("date_of_birth", (timezone.localdate() + timedelta(days=1)).isoformat(), "This date is in the future."),
        ("respond_by", "tomorrow at noon", "Enter a valid date/time."),
        ("receiving_organisation", "999999", "Select a valid choice."),
        ("priority", "whenever", "Select a valid choice."),
    ],
)
@pytest.mark.parametrize("action", ["preview", "draft"])
def test_referral_form_bad_input_keeps_input_and_saves_nothing(sender_client, org_b, field, value, error, action):
    response = sender_client.post(reverse("vse_referrals:refer"), referral_data(org_b, action=action, **{field: value}))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{P["name"]}"' in html
    assert P["referral_reason"] in page_text(response)
    assert error in page_text(response)
    assert "The referral could not be saved: please correct the errors below." in page_text(response)
    assert not ReferralCase.objects.exists()


def test_referral_form_error_is_in_the_users_language(sender_client, sender, org_b):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(sender)
    profile.preferred_language = "fr"
    profile.save()
    response = sender_client.post(reverse("vse_referrals:refer"), referral_data(org_b, date_of_birth="31/02/2020"))
    assert response.status_code == 200
    assert "Saisissez une date valide." in page_text(response)
    assert not ReferralCase.objects.exists()


def test_bad_input_with_files_asks_to_choose_them_again(sender_client, org_b):
    data = referral_data(org_b, crime_date="not a date", files=SimpleUploadedFile("report.pdf", PDF_BYTES))
    response = sender_client.post(reverse("vse_referrals:refer"), data)
    assert response.status_code == 200
    assert "Files you chose must be chosen again." in page_text(response)
    assert not CaseAttachment.objects.exists()


def test_bad_input_on_a_draft_loses_nothing_already_saved(sender_client, sender, org_a, org_b):
    draft = builders.make_case(org_a, org_b, created_by=sender)
    response = sender_client.post(
        case_url(draft, "edit"), referral_data(org_b, name="Typed again", date_of_birth="31/02/2020")
    )
    assert response.status_code == 200
    assert 'value="Typed again"' in response.content.decode()
    assert "Enter a valid date." in page_text(response)
    assert reload(draft).name == P["name"]


def test_preview_without_consent_saves_the_draft_and_explains(sender_client, org_b):
    data = referral_data(org_b)
    del data["consent_to_share"]
    response = sender_client.post(reverse("vse_referrals:refer"), data)

    assert response.status_code == 200
    case = ReferralCase.objects.get()
    assert case.status == Status.DRAFT and case.name == P["name"]
    text = page_text(response)
    assert "A referral cannot be sent without the victim's consent to share this information." in text
    assert "Your draft is saved." in text
    # The next submit updates this draft instead of making a second one.
    assert f'action="{case_url(case, "edit")}"' in response.content.decode()


def test_preview_without_a_receiver_does_not_say_none(sender_client, sender, org_a):
    draft = builders.make_case(org_a, None, created_by=sender)
    response = sender_client.get(case_url(draft, "preview"))
    assert response.status_code == 200
    assert "Choose the member organisation you refer the victim to." in page_text(response)
    assert "of None" not in page_text(response)


def test_sending_an_incomplete_draft_is_refused_and_explained(sender_client, sender, org_a, org_b):
    draft = builders.make_case(org_a, org_b, created_by=sender, consent_to_share=False, referral_reason="")
    preview = sender_client.get(case_url(draft, "preview"))
    assert case_url(draft, "send") not in preview.content.decode()
    assert "This referral cannot be sent yet" in page_text(preview)

    response = sender_client.post(case_url(draft, "send"))
    assert response.status_code == 302 and response.url == case_url(draft, "preview")
    assert any("consent to share" in message for message in flash(response))
    assert reload(draft).status == Status.DRAFT


def test_phone_without_consent_to_contact_cannot_be_sent(sender_client, org_b):
    data = referral_data(org_b)
    del data["consent_to_contact"]
    response = sender_client.post(reverse("vse_referrals:refer"), data)
    assert response.status_code == 200
    assert "The victim has not agreed to be contacted directly" in page_text(response)
    assert ReferralCase.objects.get().status == Status.DRAFT


# Bad input on the case page --------------------------------------------------------------------


def test_decline_without_reason_keeps_the_status(receiver_client, sent):
    receiver_client.get(case_url(sent))
    before = state(sent)
    response = transition(receiver_client, sent, "decline", reason="   ")
    assert response.status_code == 200
    text = page_text(response)
    assert "Please give a reason." in text
    assert "Nothing was changed: please correct the form." in text
    assert state(sent) == before
    assert reload(sent).status == Status.RECEIVED


def test_decline_with_reason(receiver_client, sender_client, sent):
    response = transition(receiver_client, sent, "decline", reason="No capacity for a shelter this month.")
    assert response.status_code == 302
    assert reload(sent).status == Status.REJECTED
    assert "No capacity for a shelter this month." in page_text(sender_client.get(case_url(sent)))


def test_close_without_outcome_keeps_the_notes_typed(receiver_client, sent):
    transition(receiver_client, sent, "accept")
    before = state(sent)
    response = transition(receiver_client, sent, "close", outcome="", reason="Notes I do not want to type again")
    assert response.status_code == 200
    assert "Choose the outcome." in page_text(response)
    soup = BeautifulSoup(response.content, "html.parser")
    close_form = soup.find("form", action=reverse("vse_referrals:transition", args=[sent.pk, "close"]))
    assert "Notes I do not want to type again" in close_form.find("textarea").get_text()
    assert close_form.find_parent("details").has_attr("open")
    assert state(sent) == before


def test_close_as_unreachable_needs_notes(receiver_client, sent):
    transition(receiver_client, sent, "accept")
    response = transition(receiver_client, sent, "close", outcome="unreachable", reason="")
    assert response.status_code == 200
    assert "Please give a reason." in page_text(response)
    assert reload(sent).status == Status.ACCEPTED
    transition(receiver_client, sent, "close", outcome="unreachable", reason="Three calls, no answer.")
    assert reload(sent).status == Status.FAILED


def test_request_information_and_withdraw_need_a_reason(receiver_client, sender_client, sent):
    transition(receiver_client, sent, "accept")
    assert "Please give a reason." in page_text(transition(receiver_client, sent, "request_information"))
    assert "Please give a reason." in page_text(transition(sender_client, sent, "withdraw"))
    assert reload(sent).status == Status.ACCEPTED


def test_withdraw_by_the_sender_with_reason(sender_client, receiver_client, sent):
    response = transition(sender_client, sent, "withdraw", reason="The victim found help locally.")
    assert response.status_code == 302
    case = reload(sent)
    assert case.status == Status.CANCELLED and case.closed_at is not None
    assert event_kinds(case).count(EventKind.WITHDRAWN) == 1
    text = page_text(receiver_client.get(case_url(case)))
    assert "Withdrawn" in text and "The victim found help locally." in text
    # Nothing more can be done on it.
    assert "What you can do" not in text


@pytest.mark.parametrize("html", ["", "<p></p>", "<p>   </p>", "<p><br/></p>"])
def test_empty_message_is_refused(sender_client, sent, html):
    response = post_message(sender_client, sent, html)
    assert response.status_code == 200
    assert "Write a message before sending it." in page_text(response)
    assert "The message was not sent: please correct it." in page_text(response)
    assert not CaseMessage.objects.filter(case=sent).exists()


def test_message_editor_is_named_by_its_label(sender_client, sent):
    page = BeautifulSoup(sender_client.get(case_url(sent)).content, "html.parser")
    body = page.select_one("#conversation input[name=body]")
    # Draftail's editable area takes this option as its aria-labelledby: it must name the label.
    label = page.find(id=json.loads(body["data-w-init-detail-value"])["ariaLabelledBy"])
    assert label is not None and label.name == "label" and label["for"] == body["id"]
    assert label.get_text(strip=True).startswith("Message")


def test_garbage_message_body_gets_a_form_error(sender_client, sent):
    response = sender_client.post(case_url(sent, "message"), {"body": "<p>not contentstate json</p>"})
    assert response.status_code == 200
    assert not CaseMessage.objects.filter(case=sent).exists()


def test_messages_on_a_draft_are_refused(sender_client, sender, org_a, org_b):
    draft = builders.make_case(org_a, org_b, created_by=sender)
    response = post_message(sender_client, draft, "<p>Too early</p>")
    assert response.status_code == 302
    assert any("once the referral has been sent" in message for message in flash(response))
    assert not CaseMessage.objects.exists()


# Rich text is sanitised ------------------------------------------------------------------------

DANGEROUS = (
    '<p><strong>Important</strong> read <a href="https://example.org/rights">your rights</a> '
    '<a href="javascript:alert(1)">click</a><script>alert(2)</script>'
    '<img src="x" onerror="alert(3)"/></p>'
)


def conversation(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.find(id="conversation")


def assert_harmless(section):
    html = str(section)
    assert section.find("script") is None
    assert section.find("img") is None
    assert "onerror" not in html
    assert "javascript:" not in html
    assert section.find(lambda tag: tag.name in ("strong", "b") and tag.get_text() == "Important") is not None
    link = section.find("a", href="https://example.org/rights")
    assert link is not None and link.get_text() == "your rights"


def test_message_through_the_form_is_sanitised(sender_client, receiver_client, sent):
    assert post_message(sender_client, sent, DANGEROUS).status_code == 302
    stored = CaseMessage.objects.get(case=sent).body
    assert "javascript:" not in stored and "<script" not in stored
    assert_harmless(conversation(receiver_client.get(case_url(sent))).find("article"))


def test_stored_html_is_sanitised_again_when_shown(receiver_client, sent, org_a, sender):
    # Whatever reached the database (an import, an older version), the page shows it cleaned.
    CaseMessage.objects.create(
        case=sent, author=sender, organisation=org_a, body=DANGEROUS.replace("<p>", '<p onclick="x()">')
    )
    section = conversation(receiver_client.get(case_url(sent))).find("article")
    assert_harmless(section)
    assert "onclick" not in str(section)


def test_answer_to_an_information_request_is_sanitised(receiver_client, sender_client, sent):
    transition(receiver_client, sent, "accept")
    transition(receiver_client, sent, "request_information", reason="Address?")
    transition(
        sender_client,
        sent,
        "give_information",
        reason='<img src=x onerror="alert(1)">She is at <script>x()</script>home',
    )
    section = conversation(receiver_client.get(case_url(sent)))
    assert section.find("script") is None and "onerror" not in str(section)
    assert "She is at" in section.get_text()


def test_plain_text_fields_are_escaped(receiver_client, sender, org_b):
    case = builders.sent_case(sender, org_b, referral_reason='<script>alert("reason")</script><b>bold?</b>')
    response = receiver_client.get(case_url(case))
    html = response.content.decode()
    assert '<script>alert("reason")' not in html
    assert "&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt;" in html


# Attachments -----------------------------------------------------------------------------------


def test_pdf_uploads_encrypted_and_downloads_as_attachment(
    sender_client, receiver_client, sent, private_attachment_root, settings
):
    response = upload(sender_client, sent, "statement.pdf", PDF_BYTES)
    assert response.status_code == 302
    attachment = CaseAttachment.objects.get(case=sent)
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF_BYTES)

    stored = private_attachment_root / attachment.file.name
    on_disk = stored.read_bytes()
    assert on_disk and PDF_BYTES not in on_disk and b"%PDF" not in on_disk
    assert not str(stored.resolve()).startswith(str(settings.MEDIA_ROOT))

    response = receiver_client.get(case_url(sent, "download", attachment.pk))
    assert response.status_code == 200
    assert response.content == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert event_kinds(sent).count(EventKind.DOWNLOADED) == 1
    assert "statement.pdf" in page_text(receiver_client.get(case_url(sent)))


def test_download_name_cannot_break_the_header(sender_client, sender, sent):
    # Browsers encode such names and Django's upload parser cuts them: store one directly.
    workflow.add_attachment(
        sent, builders.acting(sender), SimpleUploadedFile('evil";\r\nX-Injected: 1.pdf', PDF_BYTES), "application/pdf"
    )
    attachment = CaseAttachment.objects.get(case=sent)
    response = sender_client.get(case_url(sent, "download", attachment.pk))
    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.count('"') == 2


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("invoice.pdf", EXE_BYTES, "invoice.pdf is not an accepted kind of file."),
        ("setup.exe", EXE_BYTES, "setup.exe is not an accepted kind of file."),
        ("photo.png", b"\x00\x01binary garbage\xff\xfe\x00", "photo.png is not an accepted kind of file."),
        ("empty.pdf", b"", "The submitted file is empty."),
    ],
)
def test_disallowed_files_are_refused_with_a_message(sender_client, sent, name, content, error):
    response = upload(sender_client, sent, name, content)
    assert response.status_code == 200
    text = page_text(response)
    assert "The file was not added: please correct the error." in text
    assert error in text
    assert not CaseAttachment.objects.exists()


def test_html_renamed_pdf_is_refused(sender_client, sent):
    response = upload(sender_client, sent, "report.pdf", HTML_BYTES)
    assert response.status_code == 200
    assert "report.pdf is not an accepted kind of file" in page_text(response)
    assert not CaseAttachment.objects.exists()


def test_file_over_the_size_limit_is_refused(sender_client, sent, settings):
    settings.VSE_REFERRALS_ATTACHMENT_MAX_BYTES = 40
    response = upload(sender_client, sent, "big.pdf", PDF_BYTES)
    assert response.status_code == 200
    assert "big.pdf is too large" in page_text(response)
    assert not CaseAttachment.objects.exists()
    settings.VSE_REFERRALS_ATTACHMENT_MAX_BYTES = len(PDF_BYTES)
    assert upload(sender_client, sent, "big.pdf", PDF_BYTES).status_code == 302


def pdfs(count):
    return [SimpleUploadedFile(f"statement-{index}.pdf", PDF_BYTES) for index in range(count)]


def test_more_files_at_once_than_allowed_are_all_refused(sender_client, sent):
    response = sender_client.post(case_url(sent, "upload"), {"files": pdfs(11)})
    assert response.status_code == 200
    text = page_text(response)
    assert "The file was not added: please correct the error." in text
    assert "You chose 11 files; at most 10 files can be added at once." in text
    assert not CaseAttachment.objects.exists()
    assert EventKind.ATTACHMENT not in event_kinds(sent)

    response = sender_client.post(case_url(sent, "upload"), {"files": pdfs(10)})
    assert response.status_code == 302
    assert CaseAttachment.objects.filter(case=sent).count() == 10


def test_files_over_the_total_of_a_case_are_refused(sender_client, sent, settings):
    settings.VSE_REFERRALS_ATTACHMENT_MAX_BYTES_PER_CASE = 3 * len(PDF_BYTES)
    assert upload(sender_client, sent, "first.pdf", PDF_BYTES).status_code == 302

    response = sender_client.post(case_url(sent, "upload"), {"files": pdfs(3)})
    assert response.status_code == 200
    assert (
        f"These files ({3 * len(PDF_BYTES)} bytes) would take the files of this referral over the limit of "
        f"{3 * len(PDF_BYTES)} bytes per referral: {2 * len(PDF_BYTES)} bytes can still be added."
    ) in page_text(response)
    assert CaseAttachment.objects.filter(case=sent).count() == 1

    # Exactly up to the limit is accepted.
    assert sender_client.post(case_url(sent, "upload"), {"files": pdfs(2)}).status_code == 302
    assert CaseAttachment.objects.filter(case=sent).count() == 3


def test_the_total_is_checked_again_when_files_are_stored(sender, sent, settings):
    """Two uploads at once: each passed the form's check; the second is refused under the row lock."""
    settings.VSE_REFERRALS_ATTACHMENT_MAX_BYTES_PER_CASE = 2 * len(PDF_BYTES)
    actor = builders.acting(sender)
    workflow.add_attachments(sent, actor, [(pdfs(1)[0], "application/pdf")])
    with pytest.raises(ValidationError):
        workflow.add_attachments(sent, actor, [(upload, "application/pdf") for upload in pdfs(2)])
    assert CaseAttachment.objects.filter(case=sent).count() == 1
    assert event_kinds(sent).count(EventKind.ATTACHMENT) == 1


def another_upload_fills_the_case_meanwhile(monkeypatch):
    def refuse(case, actor, checked):
        raise ValidationError("The case is full now.")

    monkeypatch.setattr(workflow, "add_attachments", refuse)


def test_a_case_filled_meanwhile_refuses_the_upload_with_its_message(sender_client, sent, monkeypatch):
    another_upload_fills_the_case_meanwhile(monkeypatch)
    response = sender_client.post(case_url(sent, "upload"), {"files": pdfs(2)})
    assert response.status_code == 200
    text = page_text(response)
    assert "The file was not added: please correct the error." in text and "The case is full now." in text


def test_a_draft_filled_meanwhile_is_saved_without_the_files(sender_client, org_b, monkeypatch):
    another_upload_fills_the_case_meanwhile(monkeypatch)
    response = sender_client.post(reverse("vse_referrals:refer"), referral_data(org_b, files=pdfs(2)))
    assert response.status_code == 200
    case = ReferralCase.objects.get()
    text = page_text(response)
    assert f"Draft {case.reference} saved, without the files." in text and "The case is full now." in text
    assert case.name == P["name"] and not CaseAttachment.objects.exists()
    assert case_url(case, "edit") in response.content.decode()  # the form now saves the draft it made


def test_too_many_files_on_the_referral_form_keep_what_was_typed(sender_client, org_b):
    response = sender_client.post(reverse("vse_referrals:refer"), referral_data(org_b, files=pdfs(11)))
    assert response.status_code == 200
    text = page_text(response)
    assert "You chose 11 files; at most 10 files can be added at once." in text
    assert "Files you chose must be chosen again." in text
    assert f'value="{P["name"]}"' in response.content.decode()
    assert P["referral_reason"] in text
    assert not ReferralCase.objects.exists() and not CaseAttachment.objects.exists()


def test_files_over_the_total_of_a_draft_keep_what_was_typed(sender_client, sender, org_a, org_b, settings):
    settings.VSE_REFERRALS_ATTACHMENT_MAX_BYTES_PER_CASE = 2 * len(PDF_BYTES)
    draft = builders.make_case(org_a, org_b, created_by=sender, name="Saved name")
    workflow.add_attachment(draft, builders.acting(sender), pdfs(1)[0], "application/pdf")
    response = sender_client.post(
        case_url(draft, "edit"), referral_data(org_b, action="draft", name="Typed again", files=pdfs(2))
    )
    assert response.status_code == 200
    assert "would take the files of this referral over the limit" in page_text(response)
    assert 'value="Typed again"' in response.content.decode()
    assert reload(draft).name == "Saved name"
    assert CaseAttachment.objects.filter(case=draft).count() == 1


def test_the_example_site_refuses_far_more_files_unread_and_explains_a_few_too_many(sender_client, sent, settings):
    from example_site.settings import base

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = base.DATA_UPLOAD_MAX_NUMBER_FILES
    over_django = sender_client.post(case_url(sent, "upload"), {"files": pdfs(base.DATA_UPLOAD_MAX_NUMBER_FILES + 1)})
    assert over_django.status_code == 400
    over_ours = sender_client.post(case_url(sent, "upload"), {"files": pdfs(11)})
    assert over_ours.status_code == 200
    assert "at most 10 files can be added at once" in page_text(over_ours)
    assert not CaseAttachment.objects.exists()


def test_upload_without_a_file_explains(sender_client, sent):
    response = sender_client.post(case_url(sent, "upload"), {})
    assert response.status_code == 200
    assert "Choose a file to upload." in page_text(response)


def test_no_files_on_a_closed_case(sender_client, sent):
    transition(sender_client, sent, "withdraw", reason="Not needed any more.")
    response = upload(sender_client, sent, "late.pdf", PDF_BYTES)
    assert response.status_code == 302
    assert any("can no longer be added" in message for message in flash(response))
    assert not CaseAttachment.objects.exists()


# Conflicts and the wrong side ------------------------------------------------------------------


def test_two_accepts_give_one_success_and_one_conflict_message(client_factory, receiver, sent, org_b):
    deputy = builders.make_contact_point(
        org_b, ContactPoint.Role.DEPUTY, started_ago=timedelta(hours=1), ends_in=timedelta(days=3)
    )
    first, second = client_factory(receiver), client_factory(deputy)
    first.get(case_url(sent))
    second.get(case_url(sent))  # both look at the case with its Accept button

    assert first.post(reverse("vse_referrals:transition", args=[sent.pk, "accept"])).status_code == 302
    response = second.post(reverse("vse_referrals:transition", args=[sent.pk, "accept"]), follow=True)

    assert response.status_code == 200
    assert "changed while you were looking" in page_text(response)
    assert event_kinds(sent).count(EventKind.ACCEPTED) == 1
    assert reload(sent).status == Status.ACCEPTED


@pytest.mark.parametrize(
    "side, name",
    [
        ("sender", "accept"),
        ("sender", "decline"),
        ("sender", "close"),
        ("receiver", "withdraw"),
        ("receiver", "withdraw_consent"),
    ],
)
def test_the_wrong_side_is_denied_and_changes_nothing(sender_client, receiver_client, sent, side, name):
    client = sender_client if side == "sender" else receiver_client
    before = state(sent)
    response = transition(client, sent, name, reason="Trying anyway", outcome="supported")
    # PermissionDenied: Wagtail's admin answers with its "no permission" redirect to the dashboard.
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")
        assert any("do not have permission" in message for message in flash(response))
    assert state(sent) == before


# What consent hides ----------------------------------------------------------------------------


def close_case(receiver_client, case, notes):
    transition(receiver_client, case, "accept")
    transition(receiver_client, case, "close", outcome="supported", reason=notes)
    assert reload(case).status == Status.COMPLETED


@pytest.mark.parametrize("consent", [True, False])
def test_outcome_reaches_the_sender_only_with_consent(sender_client, receiver_client, sender, org_b, consent):
    case = builders.sent_case(sender, org_b, consent_to_report_back=consent)
    close_case(receiver_client, case, "Moved to a shelter in Malmo")

    sender_text = page_text(sender_client.get(case_url(case)))
    assert ("Moved to a shelter in Malmo" in sender_text) is consent
    assert ("Victim supported" in sender_text) is consent
    assert ("did not agree that the outcome is reported back" in sender_text) is not consent
    assert "Moved to a shelter in Malmo" in page_text(receiver_client.get(case_url(case)))


def test_without_consent_to_contact_the_receiver_sees_no_phone_or_email(receiver_client, sender, org_b):
    case = builders.sent_case(sender, org_b, consent_to_contact=False, phone="", email="", best_times="")
    text = page_text(receiver_client.get(case_url(case)))
    assert "has not agreed to be contacted directly: contact them through Organisation A" in text
    # Even if contact details were stored (older data, an import), the page does not show them.
    ReferralCase.objects.filter(pk=case.pk).update(status=Status.ACCEPTED)
    stored = reload(case)
    stored.phone, stored.email, stored.best_times = P["phone"], P["email"], "Evenings after 8 pm"
    stored.save(update_fields=["phone", "email", "best_times"])
    text = page_text(receiver_client.get(case_url(case)))
    for hidden in (P["phone"], P["email"], "Evenings after 8 pm"):
        assert hidden not in text
    assert P["name"] in text  # the rest of the case is shown


def test_with_consent_to_contact_the_receiver_sees_phone_and_email(receiver_client, sent):
    text = page_text(receiver_client.get(case_url(sent)))
    assert P["phone"] in text and P["email"] in text


# Found when a tester walked through the demo ---------------------------------------------------


def test_invalid_email_is_refused_and_input_kept(sender_client, org_b):
    response = sender_client.post(
        reverse("vse_referrals:refer"), referral_data(org_b, email="not-an-email", action="draft")
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in page_text(response)
    assert P["name"] in response.content.decode()
    assert not ReferralCase.objects.exists()


def test_referral_form_does_not_let_the_browser_remember_victim_data(sender_client):
    html = sender_client.get(reverse("vse_referrals:refer")).content.decode()
    assert 'autocomplete="off" data-vse-referral-form' in html
    assert 'type="tel"' in html and 'type="email"' in html


def test_preview_warns_when_the_receiver_has_no_capacity(sender_client, sender, org_a, org_b):
    org_b.capacity_status = "no-capacity"
    org_b.save()
    draft = builders.make_case(org_a, org_b, created_by=sender, age_band="child")
    text = page_text(sender_client.get(case_url(draft, "preview")))
    assert "Organisation B reports: No capacity." in text
    assert "Consider a higher priority: The victim is a child." in text


def test_closed_case_keeps_its_conversation_but_offers_no_message_box(sender_client, receiver, sent):
    workflow.add_message(sent, builders.acting(receiver), "<p>Before closing</p>")
    workflow.perform(sent, "accept", builders.acting(receiver))
    workflow.perform(sent, "close", builders.acting(receiver), outcome="supported")
    html = sender_client.get(case_url(sent)).content.decode()
    assert "Before closing" in html
    assert case_url(sent, "message") not in html
    assert "its conversation has ended" in html


def test_withdrawing_consent_and_discarding_a_draft_ask_first(sender_client, sender, sent, org_a, org_b):
    html = sender_client.get(case_url(sent)).content.decode()
    assert "This cannot be undone." in html
    draft = builders.make_case(org_a, org_b, created_by=sender)
    html = sender_client.get(case_url(draft, "edit")).content.decode()
    assert "<summary" in html and "The draft and its files will be deleted" in html
