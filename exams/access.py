"""Who may see or do what in the exam app: helpers that return the object or raise."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from coursesite.models import Membership

from . import clock, rules
from .models import Answer, ExamSession, Sitting


def session_questions_visible(*, session: ExamSession, membership: Membership) -> bool:
    """Staff always; a student only for their own session and only from its release moment on."""
    if membership.is_staff_role:
        return True
    if not rules.questions_released(session=session, now=clock.now()):
        return False
    return Sitting.objects.filter(session=session, student_id=membership.user_id).exists()


def access_questions(*, session: ExamSession, membership: Membership) -> ExamSession:
    # Before the release a student gets the same 404 as for a session that does not exist: nothing leaks.
    if not session.questions_name or not session_questions_visible(session=session, membership=membership):
        raise Http404("No such file.")
    return session


def access_answer(*, answer: Answer, membership: Membership) -> Answer:
    if membership.is_staff_role or answer.sitting.student_id == membership.user_id:
        return answer
    raise Http404("No such file.")


def require_marker(*, membership: Membership) -> None:
    if not membership.is_staff_role:
        raise PermissionDenied("Only the course's teachers mark exams.")


def require_examiner(*, membership: Membership) -> None:
    if not membership.is_instructor:
        raise PermissionDenied("Only the examiner can do this.")
