# Bonus programmes, invitations, formulas, runs, awards and receipts: built by the spring bonus issue.
