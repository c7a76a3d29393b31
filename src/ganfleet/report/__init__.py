"""`ganfleet report RUN` (and the demo): one Markdown report of a run, with its pictures.

figures.py     loss curves per pair, the per-class FID bar chart
run_report.py  what the report reads from a run directory, and the Markdown
"""

from ganfleet.report.run_report import write_run_report

__all__ = ["write_run_report"]
