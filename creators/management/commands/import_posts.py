from django.core.management.base import BaseCommand

from creators.enums import COUNTER_FIELDS
from creators.ingestion import posts_ingest
from creators.management.commands._csv_import import coerce, run_import


class Command(BaseCommand):
    help = (
        "Import posts and their counters from a CSV file with the ingestion API's rules. Columns: "
        "external_id, creator, format, published_at, observed_at, views, likes, comments, shares, "
        "and optionally saves, reach, invalid_views, caption, is_branded, is_deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        def to_row(record):
            return coerce(record, set(COUNTER_FIELDS), {"is_branded", "is_deleted"})

        run_import(self, file, to_row, posts_ingest)
