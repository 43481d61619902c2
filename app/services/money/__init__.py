"""Money: amounts, the ledger, prices and aids, counter payments with receipts, the cash closing."""
