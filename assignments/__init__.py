"""Assignments: releases, soft deadlines, code + PDF submissions, the review queue, Pass/Fail and bonus."""
