"""The exam grade rule on its own: Part I decides pass or fail (F / Fx), Part II points raise E to D, C, B, A."""

from decimal import Decimal

import pytest

from exams.grade_rule import GradeThresholds, exam_grade

POINTS = GradeThresholds(
    part1_pass=Decimal(12), fx_margin=Decimal(2), d=Decimal(10), c=Decimal(18), b=Decimal(26), a=Decimal(34)
)
PASS_FAIL = GradeThresholds(
    part1_pass=None, fx_margin=Decimal(0), d=Decimal(10), c=Decimal(18), b=Decimal(26), a=Decimal(34)
)


@pytest.mark.parametrize(
    ("part1", "part2", "grade"),
    [
        (Decimal("9.5"), 40, "F"),  # below the Fx margin
        (Decimal(10), 40, "Fx"),  # exactly at the margin's edge: Fx
        (Decimal("11.5"), 40, "Fx"),
        (Decimal(12), 0, "E"),  # exactly the threshold passes Part I
        (Decimal(12), Decimal("9.5"), "E"),
        (Decimal(12), 10, "D"),  # each Part II threshold is inclusive
        (Decimal(12), Decimal("17.5"), "D"),
        (Decimal(12), 18, "C"),
        (Decimal(12), 26, "B"),
        (Decimal(20), Decimal("33.5"), "B"),
        (Decimal(20), 34, "A"),
        (Decimal(20), 40, "A"),
    ],
)
def test_it_grades_by_part1_points_and_part2_thresholds(part1, part2, grade) -> None:
    assert exam_grade(part1=part1, part2_points=part2, thresholds=POINTS)[0] == grade


def test_part2_points_never_lift_a_failed_part1() -> None:
    grade, explanation = exam_grade(part1=Decimal(5), part2_points=40, thresholds=POINTS)
    assert grade == "F"
    assert "12 needed" in explanation


def test_a_zero_fx_margin_gives_f_just_below_the_threshold() -> None:
    strict = GradeThresholds(
        part1_pass=Decimal(12), fx_margin=Decimal(0), d=Decimal(10), c=Decimal(18), b=Decimal(26), a=Decimal(34)
    )
    assert exam_grade(part1=Decimal("11.5"), part2_points=0, thresholds=strict)[0] == "F"
    assert exam_grade(part1=Decimal(12), part2_points=0, thresholds=strict)[0] == "E"


def test_pass_fail_part1_gives_f_or_e_and_part2_raises_it() -> None:
    assert exam_grade(part1=False, part2_points=40, thresholds=PASS_FAIL)[0] == "F"
    assert exam_grade(part1=True, part2_points=None, thresholds=PASS_FAIL)[0] == "E"
    grade, explanation = exam_grade(part1=True, part2_points=26, thresholds=PASS_FAIL)
    assert grade == "B"
    assert explanation == "Part I passed; Part II 26 points, 26 needed for B."


def test_the_explanation_says_why() -> None:
    grade, explanation = exam_grade(part1=Decimal(11), part2_points=0, thresholds=POINTS)
    assert (grade, explanation) == ("Fx", "Part I 11 points, 12 needed; within 2 of passing.")
    assert exam_grade(part1=Decimal(13), part2_points=Decimal(12), thresholds=POINTS)[1] == (
        "Part I passed (13 points, 12 needed); Part II 12 points, 10 needed for D."
    )


def test_it_refuses_thresholds_that_do_not_rise() -> None:
    with pytest.raises(ValueError, match="rise from D to A"):
        GradeThresholds(
            part1_pass=None, fx_margin=Decimal(0), d=Decimal(20), c=Decimal(18), b=Decimal(26), a=Decimal(34)
        )


def test_it_refuses_a_part1_of_the_wrong_kind() -> None:
    with pytest.raises(ValueError, match="pass/fail"):
        exam_grade(part1=Decimal(12), part2_points=0, thresholds=PASS_FAIL)
    with pytest.raises(ValueError, match="points"):
        exam_grade(part1=True, part2_points=0, thresholds=POINTS)
