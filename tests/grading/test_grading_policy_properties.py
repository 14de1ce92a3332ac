"""Invariants of the bonus rule, checked over generated grades, bonus points and settings (hypothesis)."""

from hypothesis import given
from hypothesis import strategies as st

from coursesite.results import AssignmentResult, ModuleResult
from grading.policy import GRADES, GradePolicy, apply_bonus, final_grade, is_passing, rank

grades = st.sampled_from(GRADES)
bonuses = st.integers(min_value=0, max_value=40)
policies = st.builds(
    GradePolicy,
    bonus_threshold=st.integers(min_value=1, max_value=20),
    assignments_required=st.integers(min_value=0, max_value=6),
    require_assignments_for_final=st.booleans(),
)
assignment_sets = st.dictionaries(
    st.integers(min_value=1, max_value=6),
    st.builds(AssignmentResult, passed=st.sampled_from([True, False, None]), bonus=bonuses),
    max_size=6,
)


@given(grade=grades, bonus=bonuses, policy=policies)
def test_the_grade_after_bonus_never_falls_below_the_module_grade(grade: str, bonus: int, policy: GradePolicy) -> None:
    assert rank(apply_bonus(grade, bonus, policy).grade) >= rank(grade)


@given(grade=grades, bonus=bonuses, policy=policies)
def test_the_grade_after_bonus_rises_at_most_one_step(grade: str, bonus: int, policy: GradePolicy) -> None:
    assert rank(apply_bonus(grade, bonus, policy).grade) - rank(grade) <= 1


@given(grade=grades, bonus=bonuses, policy=policies)
def test_a_fail_never_becomes_a_pass(grade: str, bonus: int, policy: GradePolicy) -> None:
    if not is_passing(grade):
        assert not is_passing(apply_bonus(grade, bonus, policy).grade)


@given(grade=grades, bonus=bonuses, more=st.integers(min_value=0, max_value=40), policy=policies)
def test_more_bonus_never_lowers_the_grade(grade: str, bonus: int, more: int, policy: GradePolicy) -> None:
    assert rank(apply_bonus(grade, bonus + more, policy).grade) >= rank(apply_bonus(grade, bonus, policy).grade)


@given(assignments=assignment_sets, grade=grades, choice=st.sampled_from(["project", "exam"]), policy=policies)
def test_a_final_grade_keeps_every_invariant(
    assignments: dict[int, AssignmentResult], grade: str, choice: str, policy: GradePolicy
) -> None:
    module = ModuleResult(grade)
    outcome = final_grade(
        assignments=assignments,
        choice=choice,
        project=module if choice == "project" else None,
        exam=module if choice == "exam" else None,
        policy=policy,
    )
    assert outcome.explanation
    if outcome.grade is None:
        assert not is_passing(grade) or (policy.require_assignments_for_final and not outcome.assignments.passed)
        return
    assert is_passing(grade) and is_passing(outcome.grade)
    assert 0 <= rank(outcome.grade) - rank(grade) <= 1
    assert outcome.assignments.passed or not policy.require_assignments_for_final


@given(
    assignments=assignment_sets,
    grade=grades,
    extra=st.integers(min_value=1, max_value=20),
    number=st.integers(min_value=1, max_value=6),
    policy=policies,
)
def test_more_bonus_on_a_passed_assignment_never_lowers_the_final_grade(
    assignments: dict[int, AssignmentResult], grade: str, extra: int, number: int, policy: GradePolicy
) -> None:
    before = final_grade(assignments=assignments, choice="exam", project=None, exam=ModuleResult(grade), policy=policy)
    current = assignments.get(number, AssignmentResult(passed=True))
    richer = dict(assignments)
    richer[number] = AssignmentResult(passed=current.passed, bonus=current.bonus + extra)
    after = final_grade(assignments=richer, choice="exam", project=None, exam=ModuleResult(grade), policy=policy)
    if before.grade is not None:
        assert after.grade is not None
        assert rank(after.grade) >= rank(before.grade)
