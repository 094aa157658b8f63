"""CLI command modules; each defines `register(app)`."""
