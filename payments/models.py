# Ledger, commission policy, Stripe gateway, webhooks, payouts and reconciliation:
# built by the payments issue.
