"""Money: the ledger, payments and refunds, top-ups by card and by dealers, autopay, saved cards,
the billing cycle and statements."""
