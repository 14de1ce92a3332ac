"""The demo course has groups at every stage, help bookings and oral slots; the project pages render for each role."""

import datetime as dt

import pytest
from django.utils import timezone

from coursesite.demo import load_demo_course
from coursesite.hooks import registry
from coursesite.models import User
from projects import demo, selectors
from projects.models import Group, HelpBooking, OralSlot, ProjectSettings


@pytest.fixture(autouse=True)
def _only_the_projects_demo(monkeypatch) -> None:
    """Load the core demo plus projects' extender only: these tests are about projects."""
    monkeypatch.setattr(registry, "demo", [(20, demo.extend_demo)])


def test_the_demo_has_groups_at_every_stage_and_loads_twice_without_duplicates(db) -> None:
    start = timezone.localdate() - dt.timedelta(days=10)
    load_demo_course(start=start)
    ctx = load_demo_course(start=start)
    size = ProjectSettings.for_course(ctx.course).group_size
    stages = {g.name: selectors.group_stage(g, size) for g in selectors.groups_overview(course=ctx.course)}
    assert set(stages.values()) >= {"forming", "proposal waiting", "approved", "report in", "changes requested"}
    assert Group.objects.filter(course=ctx.course).count() == 5
    assert HelpBooking.objects.filter(slot__course=ctx.course).count() == 2
    assert OralSlot.objects.filter(course=ctx.course).count() == 16
    assert OralSlot.objects.filter(course=ctx.course, group__isnull=False).count() == 1
    ungrouped = {u.username for u in selectors.students_without_group(course=ctx.course)}
    assert {"student20", "student30"} <= ungrouped


def test_every_project_page_renders_for_each_role(db, client_for) -> None:
    ctx = load_demo_course(start=timezone.localdate() - dt.timedelta(days=10))
    code = ctx.course.code
    group = Group.objects.get(course=ctx.course, name="Self-supervised CIFAR")
    pages = {
        "examiner": ["", "proposals/", f"groups/{group.pk}/", "orals/", "help/", "settings/"],
        "ta1": ["", f"groups/{group.pk}/", "orals/", "help/"],
        "student10": ["", "orals/", "help/"],
        "student25": ["", "help/"],
    }
    for username, paths in pages.items():
        client = client_for(User.objects.get(username=username))
        for path in paths:
            response = client.get(f"/c/{code}/projects/{path}")
            assert response.status_code == 200, (username, path)
        assert client.get(f"/c/{code}/").status_code == 200
    report = group.reports.first()
    student = client_for(User.objects.get(username="student10"))
    download = student.get(f"/c/{code}/projects/files/report/{report.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert (
        client_for(User.objects.get(username="student25"))
        .get(f"/c/{code}/projects/files/report/{report.pk}/")
        .status_code
        == 404  # another group's report is not theirs to see
    )


def test_a_student_forms_a_group_and_invites_through_the_pages(course, student, other_student, client_for) -> None:
    alice, bob = client_for(student), client_for(other_student)
    url = f"/c/{course.code}/projects/"
    assert alice.post(f"{url}groups/create/", {"name": "Alpha"}).status_code == 302
    invite = f"{url}groups/{Group.objects.get(course=course).pk}/invite/"
    refused = alice.post(invite, {"username": "nobody"})
    assert refused.status_code == 400 and "no user called" in refused.content.decode()
    assert alice.post(invite, {"username": "bob"}).status_code == 302
    page = bob.get(url).content.decode()
    assert "invites you to <strong>Alpha</strong>" in page
    invitation = other_student.project_invitations.get()
    assert bob.post(f"{url}invitations/{invitation.pk}/answer/", {"accept": "1"}).status_code == 302
    assert "forming" in bob.get(url).content.decode()


def test_the_instructor_changes_settings_on_the_settings_page(course, examiner, client_for) -> None:
    client = client_for(examiner)
    data = {
        "group_size": 3,
        "help_slot_minutes": 20,
        "max_upcoming_bookings": 1,
        "cancel_before_hours": 2,
        "oral_slot_minutes": 30,
        "oral_move_before_hours": 24,
        "compute_reminder_days": 10,
        "unconfirmed_result": "F",
    }
    assert client.post(f"/c/{course.code}/projects/settings/update/", data).status_code == 302
    assert ProjectSettings.for_course(course).help_slot_minutes == 20
    assert client.post(f"/c/{course.code}/projects/settings/update/", {**data, "group_size": "x"}).status_code == 400
