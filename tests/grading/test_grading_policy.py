"""The grade policy reads like the syllabus: each rule, with the words it explains itself in."""

import datetime as dt

import pytest

from coursesite.results import AssignmentResult, ModuleResult
from grading.policy import FAILED, GRADED, PENDING, GradePolicy, apply_bonus, assignments_module, final_grade

POLICY = GradePolicy(bonus_threshold=6)
DAY = dt.date(2026, 5, 10)


def passed_all(bonus: int = 0) -> dict[int, AssignmentResult]:
    results = {n: AssignmentResult(passed=True, completed_on=DAY - dt.timedelta(days=10 - n)) for n in (1, 2, 3)}
    results[4] = AssignmentResult(passed=True, bonus=bonus, completed_on=DAY)
    return results


def test_it_explains_a_one_step_lift_in_the_syllabus_words() -> None:
    outcome = final_grade(
        assignments=passed_all(bonus=7), choice="exam", project=None, exam=ModuleResult("C", DAY), policy=POLICY
    )
    assert outcome.grade == "B"
    assert outcome.status == GRADED
    assert outcome.explanation == "Exam C; 7 bonus points >= 6: one step up to B"


def test_it_keeps_the_grade_below_the_threshold() -> None:
    outcome = final_grade(
        assignments=passed_all(bonus=5), choice="project", project=ModuleResult("D", DAY), exam=None, policy=POLICY
    )
    assert outcome.grade == "D"
    assert outcome.explanation == "Project D; 5 bonus points < 6: stays D"


def test_a_stays_a_however_much_bonus() -> None:
    outcome = apply_bonus("A", 100, POLICY)
    assert (outcome.grade, outcome.lifted) == ("A", False)
    assert "A is the highest grade" in outcome.explanation


@pytest.mark.parametrize("fail", ["F", "Fx"])
def test_bonus_never_lifts_a_fail_to_a_pass(fail: str) -> None:
    assert apply_bonus(fail, 50, POLICY).grade == fail
    outcome = final_grade(
        assignments=passed_all(bonus=50), choice="exam", project=None, exam=ModuleResult(fail, DAY), policy=POLICY
    )
    assert outcome.grade is None
    assert outcome.status == FAILED
    assert "bonus never lifts a fail to a pass" in outcome.explanation


def test_bonus_lifts_by_one_step_only_even_at_twice_the_threshold() -> None:
    assert apply_bonus("E", 12, POLICY).grade == "D"


def test_the_assignments_module_needs_all_four_assignments_passed() -> None:
    results = passed_all()
    results[3] = AssignmentResult(passed=False)
    del results[4]
    lab = assignments_module(results, POLICY)
    assert not lab.passed
    assert lab.missing == (3, 4)
    assert lab.explanation == "Assignments: assignment 3 not passed; assignment 4 not passed yet; 0 bonus points"


def test_the_assignments_module_is_completed_on_the_day_the_last_assignment_passed() -> None:
    lab = assignments_module(passed_all(bonus=2), POLICY)
    assert lab.passed and lab.grade == "P"
    assert lab.completed_on == DAY
    assert lab.bonus == 2


def test_bonus_of_an_assignment_that_did_not_pass_does_not_count() -> None:
    results = passed_all(bonus=3)
    results[2] = AssignmentResult(passed=None, bonus=5)
    assert assignments_module(results, POLICY).bonus == 3


def test_no_final_grade_until_the_assignments_are_passed() -> None:
    results = passed_all(bonus=7)
    results[4] = AssignmentResult(passed=None)
    outcome = final_grade(assignments=results, choice="exam", project=None, exam=ModuleResult("C"), policy=POLICY)
    assert outcome.grade is None
    assert outcome.status == PENDING
    assert "all 4 assignments must be passed first" in outcome.explanation
    assert "assignment 4 not passed yet" in outcome.explanation


def test_the_examiner_can_report_a_final_grade_without_the_assignments() -> None:
    policy = GradePolicy(bonus_threshold=6, require_assignments_for_final=False)
    outcome = final_grade(assignments={}, choice="exam", project=None, exam=ModuleResult("C"), policy=policy)
    assert outcome.grade == "C"


def test_the_number_of_required_assignments_is_configurable() -> None:
    policy = GradePolicy(assignments_required=3)
    results = passed_all()
    del results[4]
    assert assignments_module(results, policy).passed


def test_the_chosen_module_decides_between_project_and_exam() -> None:
    outcome = final_grade(
        assignments=passed_all(), choice="exam", project=ModuleResult("A"), exam=ModuleResult("E"), policy=POLICY
    )
    assert outcome.grade == "E"
    assert outcome.module.code == "TEN1"


def test_a_member_not_confirmed_at_the_oral_has_no_project_grade_and_sees_why() -> None:
    project = ModuleResult(None, note="involvement not confirmed at the oral")
    outcome = final_grade(assignments=passed_all(), choice="project", project=project, exam=None, policy=POLICY)
    assert outcome.grade is None
    assert outcome.explanation == "No final grade yet: Project: no grade yet (involvement not confirmed at the oral)"


def test_a_student_with_neither_project_nor_exam_has_no_final_grade() -> None:
    outcome = final_grade(assignments=passed_all(), choice=None, project=None, exam=None, policy=POLICY)
    assert outcome.grade is None
    assert outcome.module.kind is None


def test_it_refuses_a_threshold_below_one_point() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GradePolicy(bonus_threshold=0)


def test_it_refuses_a_grade_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="not a grade"):
        final_grade(assignments={}, choice="exam", project=None, exam=ModuleResult("G"), policy=POLICY)
