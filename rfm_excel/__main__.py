"""``python -m rfm_excel``: the rfm-excel command, for a computer where the command is not on the PATH."""

import sys

from .doors.cli import main

if __name__ == "__main__":
    sys.exit(main())
