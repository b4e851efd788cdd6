"""The client's address, for sign-in throttling and the audit log.

`client_address(request)` is the address sign-in throttling counts failures by (django-axes'
AXES_CLIENT_IP_CALLABLE). Behind reverse proxies REMOTE_ADDR is the proxy's address for everyone,
which would turn "this username from this address" into "this username" (anyone could lock a
point of contact out); with VSE_REFERRALS_PROXY_HOPS proxies that each append the address they
saw to X-Forwarded-For, the client is the entry that many places from the end, and what a client
puts in the header itself is ignored. Written here because django-ipware's proxy count assumes
the proxies list themselves in the header, which nginx's `proxy_add_x_forwarded_for` does not.
"""

from . import conf


def client_address(request):
    """The client's address as the outermost trusted proxy saw it (REMOTE_ADDR without proxies)."""
    hops = conf.get("PROXY_HOPS")
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops and forwarded[-hops]:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")
