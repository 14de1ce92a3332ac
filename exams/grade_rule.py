"""The exam grade, as the course rules state it (pure: no Django, so it can be read and tested on its own).

Part I is compulsory: failing it fails the exam (F, or Fx when the Part I points fall short of the threshold by at
most the examiner's margin). Passing Part I gives E; Part II points raise the grade to D, C, B or A at the examiner's
thresholds.
"""

from dataclasses import dataclass
from decimal import Decimal

Points = Decimal | int | float


@dataclass(frozen=True)
class GradeThresholds:
    """The examiner's numbers. `part1_pass` None means Part I is marked pass/fail, without points."""

    part1_pass: Decimal | None
    fx_margin: Decimal
    d: Decimal
    c: Decimal
    b: Decimal
    a: Decimal

    def __post_init__(self) -> None:
        if not (self.d <= self.c <= self.b <= self.a):
            raise ValueError("Part II thresholds must rise from D to A.")
        if self.fx_margin < 0:
            raise ValueError("The Fx margin cannot be negative.")


def _num(value: Points) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def exam_grade(*, part1: bool | Points, part2_points: Points | None, thresholds: GradeThresholds) -> tuple[str, str]:
    """(grade, explanation). `part1` is True/False when Part I is marked pass/fail, else the Part I points."""
    if thresholds.part1_pass is None:
        if not isinstance(part1, bool):
            raise ValueError("Part I is marked pass/fail for this exam.")
        if not part1:
            return "F", "Part I not passed."
        part1_text = "Part I passed"
    else:
        if isinstance(part1, bool):
            raise ValueError("Part I is marked with points for this exam.")
        points = _num(part1)
        needed = thresholds.part1_pass
        if points < needed:
            if points >= needed - thresholds.fx_margin:
                return "Fx", f"Part I {points} points, {needed} needed; within {thresholds.fx_margin} of passing."
            return "F", f"Part I {points} points, {needed} needed."
        part1_text = f"Part I passed ({points} points, {needed} needed)"

    part2 = _num(part2_points or 0)
    for grade, needed in (("A", thresholds.a), ("B", thresholds.b), ("C", thresholds.c), ("D", thresholds.d)):
        if part2 >= needed:
            return grade, f"{part1_text}; Part II {part2} points, {needed} needed for {grade}."
    return "E", f"{part1_text}; Part II {part2} points, {thresholds.d} needed for D."
