"""The admin over LibreChat balances and users (actions, forms, filters, import/export) and the ops
commands. A feature: it changes credits only through the ledger."""
