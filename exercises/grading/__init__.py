"""Sandboxed grading for exercises/grade.py: policy, lstm_src grading build, wire, both sides.

See exercises/README.md ("How grading is protected") for the design.
"""
