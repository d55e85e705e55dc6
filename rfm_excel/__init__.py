"""Customer scoring by Recency, Frequency and Monetary value, for orders kept in Excel."""

from .base.errors import RfmError
from .base.settings import SegmentRule, Settings
from .core import Result, score

__all__ = ["Result", "RfmError", "SegmentRule", "Settings", "score"]
__version__ = "0.2.0"
