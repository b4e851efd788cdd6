"""Template tags of the public directory pages."""

from django import template
from django.urls import reverse

from .. import permissions

register = template.Library()


@register.simple_tag
def refer_url(request, member_page):
    """The referral form addressed to the member's organisation, for points of contact of
    another member; "" for anyone else and for a profile not linked to an organisation."""
    if not member_page.organisation_id:
        return ""
    acting_for = permissions.actor_for(request).organisation
    if acting_for is None or acting_for.pk == member_page.organisation_id:
        return ""
    return f"{reverse('vse_referrals:refer')}?to={member_page.organisation_id}"
