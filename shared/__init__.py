"""Code shared by every Lazo service: settings, event contracts, broker and database helpers."""
