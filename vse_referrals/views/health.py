"""The health endpoint: JSON with each check's status, HTTP 200 when all pass and 503 otherwise.

Open without signing in, but only to the addresses of VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES (as
`addresses.client_address` sees them, behind VSE_REFERRALS_PROXY_HOPS proxies) or to a request
carrying VSE_REFERRALS_HEALTH_TOKEN in its Authorization header (never in the URL, which ends up in
logs); anyone else gets the site's 404, as for an address that does not exist. Never cached.
"""

import hmac
import ipaddress

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.cache import never_cache

from .. import conf, health
from ..addresses import client_address

BEARER = "Bearer "


def allowed_networks():
    try:
        return [ipaddress.ip_network(entry, strict=False) for entry in conf.get("HEALTH_ALLOWED_ADDRESSES")]
    except ValueError as error:
        raise ImproperlyConfigured(f"VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES: {error}") from None


def may_read(request):
    """From an allowed address, or with the token; the token only over HTTPS, where it cannot be
    read on the way (production exempts the endpoint from the HTTPS redirect for load balancers)."""
    token = conf.get("HEALTH_TOKEN")
    given = request.headers.get("Authorization", "")
    if (
        token
        and request.is_secure()
        and given.startswith(BEARER)
        and hmac.compare_digest(given[len(BEARER) :].encode(), token.encode())
    ):
        return True
    try:
        address = ipaddress.ip_address(client_address(request) or "")
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())


@never_cache
def health_check(request, checks=health.ALL):
    if not may_read(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):  # told only to those who may read it
        return HttpResponseNotAllowed(["GET", "HEAD"])
    results = health.run(checks)
    healthy = health.healthy(results)
    return JsonResponse(
        {"status": health.OK if healthy else health.FAIL, "checks": results}, status=200 if healthy else 503
    )
