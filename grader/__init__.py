"""grader: a rubric-driven auto-grader for Python assignments.

The library entry points are ``load_rubric`` and ``grade_submission``; the
``grade`` command (grader.cli) is a thin shell over them.
"""

__version__ = "0.1.0"
