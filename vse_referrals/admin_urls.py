from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .views import cases, designations, inbox, referral_form, two_factor

app_name = "vse_referrals"


def _view(view_class, **initkwargs):
    # Case pages hold personal data: never stored by a browser or proxy cache, and no posted
    # value is copied into an error report.
    return sensitive_post_parameters()(never_cache(view_class.as_view(**initkwargs)))


urlpatterns = [
    path("", _view(inbox.InboxView), name="inbox"),
    # The same listing's results alone, which the search and the filters refresh in place.
    path("results/", _view(inbox.InboxView, results_only=True), name="inbox_results"),
    path("new/", _view(referral_form.ReferralFormView), name="refer"),
    path("<uuid:case_id>/", _view(cases.CaseView), name="case"),
    path("<uuid:case_id>/edit/", _view(referral_form.DraftEditView), name="edit"),
    path("<uuid:case_id>/preview/", _view(referral_form.PreviewView), name="preview"),
    path("<uuid:case_id>/send/", _view(referral_form.SendView), name="send"),
    path("<uuid:case_id>/discard/", _view(referral_form.DiscardDraftView), name="discard"),
    path("<uuid:case_id>/do/<slug:name>/", _view(cases.TransitionView), name="transition"),
    path("<uuid:case_id>/messages/", _view(cases.MessageView), name="message"),
    path("<uuid:case_id>/files/", _view(cases.AttachmentUploadView), name="upload"),
    path("<uuid:case_id>/files/<uuid:attachment_id>/", _view(cases.AttachmentDownloadView), name="download"),
    path("points-of-contact/", _view(designations.DesignationsView), name="designations"),
    path(
        "points-of-contact/<int:designation_id>/confirm/",
        _view(designations.ConfirmDesignationView),
        name="confirm_designation",
    ),
    # Codes and keys: as private as a case page.
    path("two-step/setup/", _view(two_factor.SetupView), name="two_factor_setup"),
    path("two-step/verify/", _view(two_factor.VerifyView), name="two_factor_verify"),
]
