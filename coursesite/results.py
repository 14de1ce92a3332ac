"""What each module reports to the final-grade computation: the shapes the apps' result selectors return.

assignments.selectors.assignment_results(*, course) -> {user_id: {number: AssignmentResult}}
projects.selectors.project_results(*, course)       -> {user_id: ModuleResult}
exams.selectors.exam_results(*, course)             -> {user_id: ModuleResult}
exams.selectors.module_choices(*, course)           -> {user_id: "project" | "exam"}
Each runs a fixed number of queries, whatever the number of students.
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class AssignmentResult:
    passed: bool | None  # None: not reviewed yet (or not submitted)
    bonus: int = 0
    completed_on: dt.date | None = None  # the day the passing work was reviewed


@dataclass(frozen=True)
class ModuleResult:
    grade: str | None  # "A".."E", "Fx", "F"; None: no grade yet
    completed_on: dt.date | None = None  # e.g. the oral's or the exam's date
    note: str = ""  # e.g. "involvement not confirmed at the oral"
