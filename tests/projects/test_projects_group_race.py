"""Two students accepting the last place of a group at the same moment: exactly one succeeds (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from coursesite.models import Role
from projects import services
from projects.models import GroupMember
from tests.support import make_member


@pytest.mark.django_db(transaction=True)
def test_two_students_accepting_the_last_place_at_once_only_one_gets_it(course, student, other_student) -> None:
    assert connection.vendor == "postgresql"
    group = services.group_create(course=course, by=student)
    services.invitation_answer(
        invitation=services.group_invite(group=group, by=student, username="bob"), by=other_student, accept=True
    )
    rivals = [make_member(course, f"rival{i}", Role.STUDENT) for i in range(6)]
    invitations = [services.group_invite(group=group, by=student, username=r.username) for r in rivals]
    barrier = threading.Barrier(len(rivals))
    outcomes: list[str] = []

    def accept(index: int) -> None:
        try:
            barrier.wait()
            services.invitation_answer(invitation=invitations[index], by=rivals[index], accept=True)
            outcomes.append("joined")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(rivals))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("joined") == 1
    assert all("already complete" in o for o in outcomes if o != "joined")
    assert GroupMember.objects.filter(group=group).count() == 3
