"""Everything nistpf writes to disk. Building a table or figure is pure; side effects live here."""
