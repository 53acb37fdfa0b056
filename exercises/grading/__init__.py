"""Sandboxed grading for exercises/grade.py: policy, grading build of lstm_src, wire format, both sides.

See exercises/README.md ("How grading is protected") for the design.
"""
