"""Cron job: purge the personal data of closed referrals whose retention period has passed.

Run it daily. Safe to run again and from several machines: each case is purged once, under a
row lock. `--dry-run` lists the references that are due and changes nothing.
"""

from django.core.management.base import BaseCommand

from vse_referrals import retention


class Command(BaseCommand):
    help = "Purge the personal data of closed referrals whose retention period has passed."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the referrals that are due; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        result = retention.run(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{len(result.purged)} referrals are due for purging: {', '.join(result.purged) or '-'}.")
            return
        self.stdout.write(
            f"Purged the personal data of {len(result.purged)} referrals ({result.files_deleted} files deleted)."
        )
