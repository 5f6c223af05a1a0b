# Affiliate offers, links and codes, clicks, attribution and commissions: built by the affiliate issue.
