"""The one exception a user ever sees: a plain sentence saying what to fix."""


class RfmError(Exception):
    """Bad input or an unusable file; the message is meant for the workbook's owner."""
