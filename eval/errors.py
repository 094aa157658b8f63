"""One exception type for problems the user can fix; the CLI prints it as one line."""


class UserError(Exception):
    """Bad input or environment: shown to the user as a one-line message, exit code 2."""
