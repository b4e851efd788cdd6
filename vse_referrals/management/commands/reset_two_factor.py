"""Reset a user's two-step verification (lost phone and backup codes): their authenticator app
and backup codes are removed, they set up again at their next sign-in, and they are told by
e-mail. Check who is asking before running it: it is how an account takeover would start.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vse_referrals import notifications, two_factor
from vse_referrals.accounts import TWO_FACTOR_RESET


class Command(BaseCommand):
    help = "Remove a user's two-step verification devices; they set it up again at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        with transaction.atomic():
            two_factor.reset(user)
            if user.email:
                notifications.queue(user, TWO_FACTOR_RESET)
        self.stdout.write(f"Two-step verification of {username} reset: they set it up at their next sign-in.")
