"""Cron job: deadline reminders, escalation, expiry of unanswered referrals, mail retries.

Safe to run as often as you like (every 10 minutes is a good rhythm) and from several machines:
each reminder is recorded once, each expiry is an atomic transition.
"""

from django.core.management.base import BaseCommand

from vse_referrals import reminders


class Command(BaseCommand):
    help = "Send referral deadline reminders, expire unanswered referrals and retry undelivered e-mails."

    def handle(self, *args, **options):
        result = reminders.run()
        self.stdout.write(
            f"Reminders: {result.reminders}, overdue: {result.overdue}, expired: {result.expired}, "
            f"e-mails retried: {result.retried}."
        )
        for reference in result.conflicts:
            self.stdout.write(f"{reference} changed while expiring it; it will be checked on the next run.")
