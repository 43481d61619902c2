"""Money at the counter: payments and reversals, balances and the ledger, aids, the till count and the day's closing."""
