"""Check the audit log's hash chain from the first entry to the last (cron it, and keep the last
hash it prints somewhere else: a log rewritten from the start is noticed against that copy).

Exits with an error naming the first broken or missing link, and with status 0 otherwise.
"""

from django.core.management.base import BaseCommand, CommandError

from vse_referrals import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; fail on the first altered, removed or reordered entry."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--known",
            action="append",
            default=[],
            metavar="HASH",
            help="a last hash printed by an earlier run (kept elsewhere): the log must still hold it",
        )

    def handle(self, *args, database, known, **options):
        result = audit.verify(database, known_hashes=known)
        if result.problem:
            raise CommandError(f"Audit log broken after {result.count} good entries. {result.problem}")
        self.stdout.write(f"Audit log OK: {result.count} entries, last hash {result.last_hash}.")
