"""Rubric review: per-assignment rubrics, TAs' marks, and inline comments on code lines and PDF pages."""
