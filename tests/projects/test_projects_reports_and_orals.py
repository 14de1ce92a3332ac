"""Final reports, compute accounts, oral slots and the project grade with per-member confirmation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from coursesite.results import ModuleResult
from projects import selectors, services
from projects.models import OralSlot

from .conftest import form_group, hold_oral, pdf_upload


def test_only_an_approved_group_uploads_the_final_report(complete_group, approved_group, student) -> None:
    report = services.report_upload(group=approved_group, by=student, upload=pdf_upload("Final"))
    assert report.pages == 1 and not report.late
    assert report.file.startswith("project-reports/")


def test_an_unapproved_group_cannot_upload_a_report(complete_group, student) -> None:
    with pytest.raises(ValidationError, match="approved proposal"):
        services.report_upload(group=complete_group, by=student, upload=pdf_upload())


def test_a_late_report_is_accepted_and_marked_late(approved_group, student) -> None:
    approved_group.course.report_deadline = timezone.now() - dt.timedelta(minutes=1)
    approved_group.course.save()
    assert services.report_upload(group=approved_group, by=student, upload=pdf_upload()).late


def test_a_member_records_the_compute_account_application_and_grant(approved_group, student, other_student) -> None:
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="application first"):
        services.compute_account_granted(group=approved_group, by=student, granted_on=today)
    services.compute_account_applied(group=approved_group, by=student, account="dd2424-alpha", applied_on=today)
    services.compute_account_granted(group=approved_group, by=other_student, granted_on=today)
    assert not selectors.groups_without_compute(course=approved_group.course).exists()


def _slots(course, examiner, count: int = 3) -> list[OralSlot]:
    return services.oral_slots_publish(
        course=course, by=examiner, day=course.orals_start, start=dt.time(9, 0), count=count, place="E32"
    )


def test_oral_slots_lie_in_the_oral_period_with_the_configured_length(dated_course, examiner) -> None:
    services.project_settings_update(course=dated_course, by=examiner, oral_slot_minutes=20)
    slots = _slots(dated_course, examiner)
    assert [s.ends_at - s.starts_at for s in slots] == [dt.timedelta(minutes=20)] * 3
    with pytest.raises(ValidationError, match="oral period"):
        services.oral_slots_publish(
            course=dated_course,
            by=examiner,
            day=dated_course.orals_end + dt.timedelta(days=1),
            start=dt.time(9),
            count=1,
        )
    with pytest.raises(ValidationError, match="already an oral slot"):
        _slots(dated_course, examiner, 1)


def test_an_approved_group_with_a_report_books_and_moves_its_oral(approved_group, examiner, student, other_student):
    first, second, _ = _slots(approved_group.course, examiner)
    with pytest.raises(ValidationError, match="Upload your final report"):
        services.oral_book(slot=first, group=approved_group, by=student)
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())

    services.oral_book(slot=first, group=approved_group, by=student)
    services.oral_book(slot=second, group=approved_group, by=other_student)  # any member moves it

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.group is None and second.group == approved_group


def test_an_oral_cannot_be_moved_within_24_hours(approved_group, examiner, student) -> None:
    slots = _slots(approved_group.course, examiner)
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())
    services.oral_book(slot=slots[0], group=approved_group, by=student)
    OralSlot.objects.filter(pk=slots[0].pk).update(starts_at=timezone.now() + dt.timedelta(hours=20))
    with pytest.raises(ValidationError, match="24 hours"):
        services.oral_book(slot=slots[1], group=approved_group, by=student)


def test_a_taken_slot_cannot_be_booked_by_another_group(approved_group, examiner, student, course) -> None:
    from coursesite.models import Role
    from tests.support import make_member

    slots = _slots(approved_group.course, examiner)
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())
    services.oral_book(slot=slots[0], group=approved_group, by=student)
    others = [make_member(course, f"o{i}", Role.STUDENT) for i in range(3)]
    group = form_group(course, *others)
    proposal = services.proposal_submit(group=group, by=others[0], title="T", description="D")
    services.proposal_decide(proposal=proposal, by=examiner, approve=True)
    services.report_upload(group=group, by=others[0], upload=pdf_upload("other"))
    with pytest.raises(ValidationError, match="just been taken"):
        services.oral_book(slot=slots[0], group=group, by=others[0])


def test_a_member_not_confirmed_at_the_oral_gets_fx_instead_of_the_group_grade(
    examined_group, examiner, student, other_student, carol
) -> None:
    with pytest.raises(ValidationError, match="every member"):
        services.oral_grade_record(group=examined_group, by=examiner, grade="B", confirmations={student.pk: (True, "")})
    day = timezone.localdate()
    services.oral_grade_record(
        group=examined_group,
        by=examiner,
        grade="B",
        graded_on=day,
        confirmations={
            student.pk: (True, ""),
            other_student.pk: (True, "Strong on the experiments"),
            carol.pk: (False, "Could not explain the model"),
        },
    )
    results = selectors.project_results(course=examined_group.course)
    assert results[student.pk] == ModuleResult("B", day, "")
    assert results[other_student.pk] == ModuleResult("B", day, "")
    assert results[carol.pk].grade == "Fx"
    assert results[carol.pk].note.startswith("involvement not confirmed at the oral")


def test_the_unconfirmed_result_is_configurable(examined_group, examiner, student, other_student, carol) -> None:
    services.project_settings_update(course=examined_group.course, by=examiner, unconfirmed_result="F")
    confirmations = {student.pk: (True, ""), other_student.pk: (True, ""), carol.pk: (False, "")}
    services.oral_grade_record(group=examined_group, by=examiner, grade="A", confirmations=confirmations)
    assert selectors.project_results(course=examined_group.course)[carol.pk].grade == "F"


def test_project_results_run_a_constant_number_of_queries(
    dated_course, examiner, django_assert_max_num_queries
) -> None:
    from coursesite.models import Role
    from tests.support import make_member

    for g in range(4):
        people = [make_member(dated_course, f"g{g}m{i}", Role.STUDENT) for i in range(3)]
        group = form_group(dated_course, *people)
        proposal = services.proposal_submit(group=group, by=people[0], title="T", description="D")
        services.proposal_decide(proposal=proposal, by=examiner, approve=True)
        hold_oral(group)
        services.oral_grade_record(
            group=group, by=examiner, grade="C", confirmations={p.pk: (i != 2, "") for i, p in enumerate(people)}
        )
    with django_assert_max_num_queries(4):
        results = selectors.project_results(course=dated_course)
    assert len(results) == 12
    assert sum(1 for r in results.values() if r.grade == "C") == 8


def test_the_examiner_grades_on_the_group_page(examined_group, examiner, student, other_student, carol, client_for):
    url = f"/c/{examined_group.course.code}/projects/groups/{examined_group.pk}/"
    data = {"grade": "A", f"confirmed_{student.pk}": "1", f"confirmed_{other_student.pk}": "1"}
    data[f"note_{carol.pk}"] = "Absent"
    assert client_for(examiner).post(f"{url}grade/", data).status_code == 302
    results = selectors.project_results(course=examined_group.course)
    assert [results[u.pk].grade for u in (student, other_student, carol)] == ["A", "A", "Fx"]
    assert client_for(student).get(url).status_code == 403


def test_every_member_and_the_examiner_see_the_oral_in_their_calendar(
    approved_group, examiner, student, carol, client_for
) -> None:
    slots = _slots(approved_group.course, examiner)
    services.report_upload(group=approved_group, by=student, upload=pdf_upload())
    services.oral_book(slot=slots[1], group=approved_group, by=student)
    for person in (carol, examiner):
        feed = client_for(person).get(f"/ical/{person.calendar_token}.ics").content.decode()
        assert "Project oral: Alpha" in feed, person.username
