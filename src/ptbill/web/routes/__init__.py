"""Page routes, one module per feature: auth, notes, queue (claims and batches), payers."""
