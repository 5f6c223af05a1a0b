"""Shared by import_posts and import_followers: CSV rows in, the API's own ingestion rules out."""

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.errors import ApplicationError
from creators.ingestion import IngestReport

BATCH = 1000
BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def coerce(row: dict[str, str], integer_fields: set[str], boolean_fields: set[str]) -> dict[str, Any]:
    """Turn CSV text into the JSON types the ingestion expects; leave bad values for it to reject."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name is None or value is None or value == "":
            continue  # blank cells are missing values; extra cells without a header are ignored
        value = value.strip()
        if name in integer_fields and value.lstrip("-").isdigit():
            out[name] = int(value)
        elif name in boolean_fields and value.lower() in BOOLEANS:
            out[name] = BOOLEANS[value.lower()]
        else:
            out[name] = value
    return out


def batches(path: Path, to_row: Callable[[dict[str, str]], dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        batch: list[dict[str, Any]] = []
        for record in csv.DictReader(handle):
            batch.append(to_row(record))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch


def run_import(
    command: BaseCommand,
    path_text: str,
    to_row: Callable[[dict[str, str]], dict[str, Any]],
    ingest: Callable[..., IngestReport],
) -> None:
    path = Path(path_text)
    if not path.is_file():
        raise CommandError(f"No such file: {path}")
    accepted = rejected = 0
    for number, batch in enumerate(batches(path, to_row)):
        try:
            report = ingest(rows=batch)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        accepted += report.accepted
        rejected += report.rejected
        for result in report.results:
            if result.errors:
                line = number * BATCH + result.index + 2  # +1 for the header, +1 for 1-based lines
                reasons = "; ".join(f"{e['code']}: {e['message']}" for e in result.errors)
                command.stderr.write(f"line {line}: rejected ({reasons})")
    command.stdout.write(f"{accepted} accepted, {rejected} rejected")
    if rejected:
        raise CommandError(f"{rejected} row(s) rejected; the others were stored.", returncode=2)
