"""Cron job: purge the personal data of closed referrals whose retention period has passed, and
delete drafts untouched for that long (see vse_referrals/retention.py).

Run it daily. Safe to run again and from several machines: each case is purged once, under a
row lock. `--dry-run` lists what is due and changes nothing. A case that could not be purged is
named (by reference) and the command exits with an error, so that cron reports it.
"""

from django.core.management.base import BaseCommand, CommandError

from vse_referrals import retention


class Command(BaseCommand):
    help = "Purge the personal data of closed referrals whose retention period has passed; delete stale drafts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List what is due; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        result = retention.run(dry_run=dry_run)
        if dry_run:
            due = f"{len(result.purged)} ({', '.join(result.purged)})" if result.purged else "none"
            self.stdout.write(
                f"Referrals due for purging: {due}; stale drafts due for deletion: {result.drafts_deleted}."
            )
            return
        self.stdout.write(
            f"Purged the personal data of {len(result.purged)} referrals; deleted {result.drafts_deleted} stale drafts."
        )
        if result.failed:
            raise CommandError(f"Could not purge {', '.join(result.failed)}; the next run tries again (see the log).")
