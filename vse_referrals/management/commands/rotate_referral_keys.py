"""Re-encrypt every stored personal value and attachment with the first (newest) key.

Rotation: put the new key first in VSE_REFERRALS_ENCRYPTION_KEYS, keep the old ones after it,
deploy, run this command, then remove the old keys. Values are rewritten in batches, each in its
own transaction, and files one by one from batches of ids (`batches.in_batches`), so its memory
does not grow with the network; running it again is harmless.
"""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from vse_referrals import crypto
from vse_referrals.batches import in_batches
from vse_referrals.models import CaseAttachment, CaseEvent, CaseMessage, ReferralCase

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt referral personal data and attachments with the newest encryption key."

    def handle(self, *args, **options):
        for model in (ReferralCase, CaseMessage, CaseAttachment, CaseEvent):
            count = self.rotate_table(model)
            self.stdout.write(f"{model._meta.verbose_name_plural}: {count} rows re-encrypted.")
        files = 0
        for attachment_id in in_batches(CaseAttachment.objects.values_list("pk", flat=True), BATCH):
            # Under the row's lock: a file purged or discarded meanwhile is skipped, never rewritten.
            with transaction.atomic():
                name = (
                    CaseAttachment.objects.select_for_update()
                    .filter(pk=attachment_id)
                    .values_list("file", flat=True)
                    .first()
                )
                if name and crypto.attachment_storage.rotate(name):
                    files += 1
        self.stdout.write(self.style.SUCCESS(f"Attachments: {files} files re-encrypted."))

    def rotate_table(self, model):
        """Rotate the raw tokens in SQL: nothing is decrypted into model instances or logs."""
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, crypto.EncryptedFieldMixin)]
        table = connection.ops.quote_name(model._meta.db_table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        quoted = [connection.ops.quote_name(column) for column in columns]
        rows_done = 0
        last_pk = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s " if last_pk is not None else ""
                # Locked until the batch is rewritten: a purge committing in between would otherwise
                # have its blanked values overwritten with the old ones.
                lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
                cursor.execute(
                    # Names quoted from the model's own metadata, values passed as parameters
                    f"SELECT {pk}, {', '.join(quoted)} FROM {table} {where}ORDER BY {pk} LIMIT {BATCH}{lock}",  # nosec B608
                    [last_pk] if last_pk is not None else [],
                )
                rows = cursor.fetchall()
                assignments = ", ".join(f"{column} = %s" for column in quoted)
                # Names quoted from the model's own metadata; the values are parameters. One round
                # trip for the batch (psycopg pipelines executemany).
                cursor.executemany(
                    f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # nosec B608
                    [
                        [*(crypto.rotate_bytes(t.encode()).decode() if t is not None else None for t in tokens), row_pk]
                        for row_pk, *tokens in rows
                    ],
                )
            if not rows:
                return rows_done
            rows_done += len(rows)
            last_pk = rows[-1][0]
