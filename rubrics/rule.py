"""The examiner's rule from a marked rubric to Pass/Fail and bonus points (pure: no Django).

Rule "points": the submission passes when every pass/fail criterion passes and the points reach the pass mark N;
a pass earns one bonus point per `bonus_step` points above M, at most the assignment's bonus maximum; a fail
earns none. Rule "manual": the reviewer chooses, the rubric only records the marks.
"""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CriterionMark:
    title: str
    pass_fail: bool
    max_points: int
    points: int | None = None
    passed: bool | None = None

    @property
    def marked(self) -> bool:
        return self.passed is not None if self.pass_fail else self.points is not None


@dataclass(frozen=True)
class Outcome:
    points: int
    max_points: int
    unmarked: tuple[str, ...]
    passed: bool | None  # None: manual rule, or not every criterion is marked
    bonus: int | None
    explanation: str

    @property
    def complete(self) -> bool:
        return not self.unmarked


def outcome(
    *, rule: str, pass_points: int, bonus_from: int, bonus_step: int, bonus_max: int, marks: Iterable[CriterionMark]
) -> Outcome:
    marks = list(marks)
    points = sum(m.points or 0 for m in marks if not m.pass_fail)
    max_points = sum(m.max_points for m in marks if not m.pass_fail)
    unmarked = tuple(m.title for m in marks if not m.marked)
    if rule == "manual":
        return Outcome(points, max_points, unmarked, None, None, "The reviewer chooses Pass/Fail and the bonus.")
    if unmarked:
        return Outcome(points, max_points, unmarked, None, None, "Mark every criterion: " + ", ".join(unmarked) + ".")
    failed = [m.title for m in marks if m.pass_fail and not m.passed]
    if failed:
        return Outcome(points, max_points, (), False, 0, "Fail: not passed: " + ", ".join(failed) + ".")
    if points < pass_points:
        return Outcome(points, max_points, (), False, 0, f"Fail: {points} points, {pass_points} needed to pass.")
    bonus = min(bonus_max, max(0, points - bonus_from) // max(1, bonus_step))
    step = f"{bonus_step} points" if bonus_step > 1 else "point"
    why = (
        f"Pass: {points} of {max_points} points ({pass_points} needed)"
        + (", every pass/fail criterion passed" if any(m.pass_fail for m in marks) else "")
        + f"; bonus {bonus}: one bonus point per {step} above {bonus_from}, at most {bonus_max}."
    )
    return Outcome(points, max_points, (), True, bonus, why)
