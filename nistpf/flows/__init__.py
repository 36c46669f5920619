"""Customer data as it flows: trace, NIST PRAM per data action, the data-flow diagram."""
