"""auditcheck: check budget-performance evaluation data against readable, testable rules."""

__version__ = "0.1.0"
