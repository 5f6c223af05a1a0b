"""`manage.py ledger_verify [--reconcile]`: is this database's ledger sound? For restored backups.

Checks every ledger rule (payments.selectors.ledger_check: balanced transactions, no empty ones,
entry currencies, cached balances equal to the entries) and, with --reconcile, runs a full
reconciliation against Stripe (payments.reconciliation). Prints one line per problem and exits
with status 1 when there is any, so a restore script can stop on it.
"""

from django.core.management.base import BaseCommand, CommandError

from payments.enums import ReconciliationStatus
from payments.models import LedgerEntry, LedgerTransaction
from payments.reconciliation import reconciliation_run
from payments.selectors import ledger_check


class Command(BaseCommand):
    help = "Check that the ledger is balanced (and, with --reconcile, that it agrees with Stripe)."

    def add_arguments(self, parser):
        parser.add_argument("--reconcile", action="store_true", help="Also reconcile with Stripe.")

    def handle(self, *args, reconcile: bool, **options):
        problems = [f"{problem.code}: {problem.message}" for problem in ledger_check()]
        if reconcile:
            report = reconciliation_run()
            if report.status != ReconciliationStatus.CLEAN:
                problems.append(f"reconciliation {report.pk} is {report.status}")
                problems += [f"  {d.kind} {d.reference}: {d.detail}" for d in report.differences.all()]
        counts = f"{LedgerTransaction.objects.count()} transactions, {LedgerEntry.objects.count()} entries"
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"ledger NOT sound ({counts}): {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS(f"ledger sound ({counts}){', reconciled' if reconcile else ''}"))
