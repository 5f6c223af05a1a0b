# Brand profiles, campaigns, offers, deals, deliverables and escrow: built by the marketplace issue.
