"""The two-step verification pages: set up an authenticator app, and enter a code at sign-in
(see vse_referrals/two_factor.py for the rule)."""

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_otp import login as otp_login

from .. import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())  # "123 456" as some apps show it


def next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("wagtailadmin_home")


@method_decorator(login_required, name="dispatch")
class SetupView(View):
    template_name = "vse_referrals/two_factor/setup.html"

    def get(self, request):
        if two_factor.user_has_device(request.user):
            return redirect(two_factor.step_url(request.user, next_url(request)))
        return self.render(request, CodeForm())

    def post(self, request):
        if two_factor.user_has_device(request.user):
            return redirect(two_factor.step_url(request.user, next_url(request)))
        form = CodeForm(request.POST)
        device = two_factor.app_device(request.user, create=True)
        if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            codes = two_factor.new_backup_codes(request.user)
            return TemplateResponse(
                request, "vse_referrals/two_factor/backup_codes.html", {"codes": codes, "next": next_url(request)}
            )
        if form.is_valid():
            form.add_error(
                "code", _("This code is not right. Enter the code the app shows now (it changes every 30 seconds).")
            )
        return self.render(request, form)

    def render(self, request, form):
        device = two_factor.app_device(request.user, create=True)
        qr = segno.make(device.config_url, error="m")
        return TemplateResponse(
            request,
            self.template_name,
            {
                "form": form,
                # Drawn by segno from the device's own URL: markup we made, no user text in it.
                "qr_svg": mark_safe(  # nosec B308 B703  # segno's SVG of our own URL
                    qr.svg_inline(border=2, omitsize=True, title=_("QR code to scan with an authenticator app"))
                ),
                "key": two_factor.grouped_key(device),
                "next": next_url(request),
            },
        )


@method_decorator(login_required, name="dispatch")
class VerifyView(View):
    template_name = "vse_referrals/two_factor/verify.html"

    def get(self, request):
        if not two_factor.user_has_device(request.user):
            return redirect(two_factor.step_url(request.user, next_url(request)))
        return TemplateResponse(request, self.template_name, {"form": CodeForm(), "next": next_url(request)})

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            device = two_factor.verify(request.user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                return redirect(next_url(request))
            form.add_error(
                "code",
                _("This code is not valid. Enter the code your app shows now, or one of your backup codes."),
            )
        return TemplateResponse(request, self.template_name, {"form": form, "next": next_url(request)})
