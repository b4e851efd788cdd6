"""The health endpoint's addresses, for the host's URL configuration (docs/deployment.md):

    path("health/", include("vse_referrals.health_urls")),

`health/ready/` answers whether this app server can serve (database, attachment storage): point
the load balancer at it. `health/` adds the background work (outbox, reminders cron): point the
monitoring at it.
"""

from django.urls import path

from . import health
from .views.health import health_check

urlpatterns = [
    path("", health_check, name="vse_referrals_health"),
    path("ready/", health_check, {"checks": health.SERVING}, name="vse_referrals_health_ready"),
]
