"""rotate_field_key [--batch N]: re-encrypt every encrypted value under the current key
(the first of FIELD_ENCRYPTION_KEY), in batches committed one by one, while the system runs.
See welfare/rotation.py and docs/SECURITY.md, "Encryption at rest"."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from welfare.rotation import field_key_rotate


class Command(BaseCommand):
    help = "Re-encrypt identity and phone numbers under the current key of FIELD_ENCRYPTION_KEY (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=settings.FIELD_ROTATION_BATCH, help="rows per transaction")

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch 必须大于 0。 / --batch must be at least 1.")
        report = field_key_rotate(batch=options["batch"])
        for table, count in report.rotated.items():
            self.stdout.write(f"{table}: {count} re-encrypted under {report.current_key_id}")
        if report.unreadable:
            shown = "\n".join(f"  {table} {pk} {column}: {reason}" for table, pk, column, reason in report.unreadable[:10])
            raise CommandError(
                f"{len(report.unreadable)} 个值无法解密,未改动(其余已完成)。把加密它们的旧密钥加入 FIELD_ENCRYPTION_KEY"
                f"(放在当前密钥之后)后再运行一次。 / {len(report.unreadable)} values could not be decrypted and were left "
                f"as they are (the rest is done). Add the old key that encrypted them to FIELD_ENCRYPTION_KEY (after the "
                f"current key) and run again.\n{shown}"
            )
        self.stdout.write(self.style.SUCCESS(f"Done: every value is under key {report.current_key_id}."))
