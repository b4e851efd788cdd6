"""Django's `flush`, which erases every table, the audit log included.

The audit log's triggers refuse every DELETE and TRUNCATE; erasing the whole database is the one
maintenance that may remove its entries (the test suite flushes after each transactional test),
so this command runs Django's inside `audit.maintenance()`.
"""

from django.core.management.commands import flush

from vse_referrals import audit


class Command(flush.Command):
    def handle(self, **options):
        with audit.maintenance(options["database"]):
            return super().handle(**options)
