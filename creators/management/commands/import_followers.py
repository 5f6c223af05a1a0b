from django.core.management.base import BaseCommand

from creators.ingestion import followers_ingest
from creators.management.commands._csv_import import coerce, run_import


class Command(BaseCommand):
    help = "Import follower counts from a CSV file with columns creator, followers, observed_at."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        run_import(self, file, lambda record: coerce(record, {"followers"}, set()), followers_ingest)
