"""The final-grade policy of the syllabus, as pure functions: no Django, no database, every result explained.

The rules, as the course states them (shared/COURSE.md, "Final grade"):
- The assignments module (LAB1) is passed when all the required assignments are passed.
- The second module's grade is the project grade (PRO1) or the take-home exam grade (TEN1), A-F.
- Bonus points from the assignments lift a passing grade by one step when they reach the examiner's threshold:
  never more than one step, never from a fail (Fx, F) to a pass, and A stays A.
- A final grade exists only when both modules are passed (the examiner may drop the assignments condition).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

# From the lowest to the highest; E and above pass.
GRADES_ASCENDING = ("F", "Fx", "E", "D", "C", "B", "A")
PASSING_GRADES = ("E", "D", "C", "B", "A")
FAILING_GRADES = ("F", "Fx")
GRADES = tuple(reversed(GRADES_ASCENDING))  # A first, as people list them

LAB1 = "LAB1"  # the assignments module
PRO1 = "PRO1"  # the project
TEN1 = "TEN1"  # the take-home written exam
MODULE_CODES = {"project": PRO1, "exam": TEN1}
MODULE_NAMES = {"project": "Project", "exam": "Exam"}

# What a gradebook row's status says about the final grade.
GRADED = "graded"  # a final grade exists
PENDING = "pending"  # results are missing; nothing has failed
FAILED = "failed"  # the second module was failed


class AssignmentResultLike(Protocol):
    """What the policy reads of one assignment (coursesite.results.AssignmentResult has this shape)."""

    @property
    def passed(self) -> bool | None: ...
    @property
    def bonus(self) -> int: ...
    @property
    def completed_on(self) -> dt.date | None: ...


class ModuleResultLike(Protocol):
    """What the policy reads of a graded module (coursesite.results.ModuleResult has this shape)."""

    @property
    def grade(self) -> str | None: ...
    @property
    def completed_on(self) -> dt.date | None: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True)
class GradePolicy:
    """The examiner's settings for one course."""

    bonus_threshold: int = 6  # bonus points that make the one-step lift
    assignments_required: int = 4  # assignments 1..N must all be passed for LAB1
    require_assignments_for_final: bool = True  # a final grade only when LAB1 is passed too

    def __post_init__(self) -> None:
        if self.bonus_threshold < 1:
            raise ValueError("The bonus threshold must be at least 1 point.")
        if self.assignments_required < 0:
            raise ValueError("The number of required assignments cannot be negative.")


@dataclass(frozen=True)
class AssignmentsOutcome:
    """LAB1: passed or not, the bonus points it earned, and when it was completed."""

    passed: bool
    bonus: int
    completed_on: dt.date | None
    missing: tuple[int, ...]  # required assignments not passed (yet)
    explanation: str

    @property
    def grade(self) -> str | None:
        return "P" if self.passed else None


@dataclass(frozen=True)
class ModuleOutcome:
    """The second module: which one (project or exam), its grade and when it was completed."""

    kind: str | None  # "project", "exam", or None when the student has neither
    grade: str | None
    completed_on: dt.date | None
    explanation: str  # "Exam C"; with the module's note when it explains a missing or failing grade
    note: str = ""  # the module's own words, e.g. how the exam points give the grade

    @property
    def code(self) -> str | None:
        return MODULE_CODES.get(self.kind or "")

    @property
    def passed(self) -> bool:
        return is_passing(self.grade)


@dataclass(frozen=True)
class BonusOutcome:
    """A module grade after the bonus rule."""

    grade: str
    lifted: bool
    explanation: str


@dataclass(frozen=True)
class FinalGradeOutcome:
    grade: str | None  # None: no final grade (yet)
    status: str  # GRADED, PENDING or FAILED
    assignments: AssignmentsOutcome
    module: ModuleOutcome
    bonus: BonusOutcome | None  # None when the second module has no grade
    explanation: str


def is_passing(grade: str | None) -> bool:
    return grade in PASSING_GRADES


def rank(grade: str) -> int:
    """The position of a grade from the lowest (F = 0) to the highest (A = 6)."""
    return GRADES_ASCENDING.index(grade)


def one_step_up(grade: str) -> str:
    """E->D, D->C, C->B, B->A; A stays A."""
    if grade == "A":
        return "A"
    return GRADES_ASCENDING[rank(grade) + 1]


def _numbers(numbers: list[int] | tuple[int, ...]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _points(n: int) -> str:
    return f"{n} bonus point{'' if n == 1 else 's'}"


def assignments_module(results: Mapping[int, AssignmentResultLike], policy: GradePolicy) -> AssignmentsOutcome:
    """LAB1 is passed when assignments 1..N are all passed; bonus points count from passed assignments only."""
    required = tuple(range(1, policy.assignments_required + 1))
    missing = tuple(n for n in required if n not in results or results[n].passed is not True)
    bonus = sum(max(r.bonus, 0) for r in results.values() if r.passed is True)
    passed = not missing
    dates = [day for n in required if (day := results[n].completed_on) is not None] if passed else []
    completed_on = max(dates) if dates else None
    if not required:
        explanation = "No assignment is required"
    elif passed:
        explanation = f"Assignments {_numbers(required)} passed"
    else:
        failed = [n for n in missing if n in results and results[n].passed is False]
        waiting = [n for n in missing if n not in failed]
        parts = []
        if failed:
            parts.append(f"assignment{'s' if len(failed) > 1 else ''} {_numbers(failed)} not passed")
        if waiting:
            parts.append(f"assignment{'s' if len(waiting) > 1 else ''} {_numbers(waiting)} not passed yet")
        explanation = "Assignments: " + "; ".join(parts)
    return AssignmentsOutcome(passed, bonus, completed_on, missing, f"{explanation}; {_points(bonus)}")


def second_module(
    *, choice: str | None, project: ModuleResultLike | None, exam: ModuleResultLike | None
) -> ModuleOutcome:
    """The project grade for a student who took the project, the exam grade for one who took the exam."""
    if choice not in MODULE_CODES:
        # No recorded choice: the module the student has a result in.
        choice = "project" if project is not None else "exam" if exam is not None else None
    if choice is None:
        return ModuleOutcome(None, None, None, "No project or exam result yet")
    result = project if choice == "project" else exam
    name = MODULE_NAMES[choice]
    note = result.note.strip().rstrip(".") if result is not None else ""
    because = f" ({note})" if note else ""
    if result is None or result.grade is None:
        return ModuleOutcome(choice, None, None, f"{name}: no grade yet{because}", note)
    if result.grade not in GRADES:
        raise ValueError(f"{result.grade!r} is not a grade (A-E, Fx, F).")
    # A passing grade speaks for itself; the note says why a grade is a fail.
    said = f"{name} {result.grade}" + ("" if is_passing(result.grade) else because)
    return ModuleOutcome(choice, result.grade, result.completed_on, said, note)


def apply_bonus(grade: str, bonus: int, policy: GradePolicy) -> BonusOutcome:
    """Bonus lifts a passing grade by one step at the threshold; never more, never a fail to a pass; A stays A."""
    reached = bonus >= policy.bonus_threshold
    comparison = f"{_points(bonus)} {'>=' if reached else '<'} {policy.bonus_threshold}"
    if not is_passing(grade):
        return BonusOutcome(grade, False, f"{comparison}, but bonus never lifts a fail to a pass: stays {grade}")
    if not reached:
        return BonusOutcome(grade, False, f"{comparison}: stays {grade}")
    if grade == "A":
        return BonusOutcome("A", False, f"{comparison}, but A is the highest grade: stays A")
    lifted = one_step_up(grade)
    return BonusOutcome(lifted, True, f"{comparison}: one step up to {lifted}")


def final_grade(
    *,
    assignments: Mapping[int, AssignmentResultLike],
    choice: str | None,
    project: ModuleResultLike | None,
    exam: ModuleResultLike | None,
    policy: GradePolicy,
) -> FinalGradeOutcome:
    """Final grade = (project grade or exam grade) + bonus, when both modules are passed."""
    lab = assignments_module(assignments, policy)
    module = second_module(choice=choice, project=project, exam=exam)
    if module.grade is None:
        reason = module.explanation
        if policy.require_assignments_for_final and not lab.passed:
            reason += f". {lab.explanation}"
        return FinalGradeOutcome(None, PENDING, lab, module, None, f"No final grade yet: {reason}")
    bonus = apply_bonus(module.grade, lab.bonus, policy)
    worded = f"{module.explanation}; {bonus.explanation}"
    if not module.passed:
        return FinalGradeOutcome(None, FAILED, lab, module, bonus, f"No final grade: {worded}")
    if policy.require_assignments_for_final and not lab.passed:
        return FinalGradeOutcome(
            None,
            PENDING,
            lab,
            module,
            bonus,
            f"No final grade yet: all {policy.assignments_required} assignments must be passed first. "
            f"{lab.explanation}. {worded}",
        )
    return FinalGradeOutcome(bonus.grade, GRADED, lab, module, bonus, worded)
