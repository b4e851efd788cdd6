"""Reset a user's two-step verification (lost phone and backup codes): their authenticator app
and backup codes are removed, they set up again at their next sign-in, and they are told by
e-mail. Check who is asking before running it: it is how an account takeover would start.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from vse_referrals import two_factor


class Command(BaseCommand):
    help = "Remove a user's two-step verification devices; they set it up again at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        two_factor.reset(user)
        self.stdout.write(f"Two-step verification of {username} reset: they set it up at their next sign-in.")
