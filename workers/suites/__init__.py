"""Grading suites of the demo course (DD2424 deep learning), with the script that builds their data."""
