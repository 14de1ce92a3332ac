"""Who may see or do what in the exam app: helpers that return the object or raise.

Services call them first: the examiner sets up the exam (settings, poll, sessions, extensions); the course's teachers
mark; a student chooses, votes, moves and hands in their own sitting. Another student's sitting or answer, and
questions before their release, do not exist for a student (NotFound); a member without the role gets Forbidden.
"""

from coursesite.access import require_instructor, require_member, require_student
from coursesite.errors import Forbidden, NotFound, Refused
from coursesite.models import Course, Membership, User

from . import clock, rules
from .models import Answer, Exam, ExamSession, Sitting


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
        raise NotFound("No such file.")
    return session


def access_answer(*, answer: Answer, membership: Membership) -> Answer:
    if membership.is_staff_role or answer.sitting.student_id == membership.user_id:
        return answer
    raise NotFound("No such file.")


def require_marker(*, user: User, course: Course) -> Membership:
    membership = require_member(user=user, course=course)
    if not membership.is_staff_role:
        raise Forbidden("Only the course's teachers mark exams.")
    return membership


def require_examiner(*, user: User, course: Course) -> Membership:
    return require_instructor(user=user, course=course)


def require_exam_student(*, user: User, course: Course) -> Membership:
    """Choosing the module, the date poll, handing in: the course's students."""
    return require_student(user=user, course=course)


def require_own_sitting(*, user: User, sitting: Sitting) -> Membership:
    """The student's own sitting (moving it, handing in); another's sitting does not exist for them."""
    membership = require_exam_student(user=user, course=sitting.exam.course)
    if sitting.student_id != user.pk:
        raise NotFound("No such exam sitting.")
    return membership


def access_own_sitting(*, user: User, exam: Exam) -> Sitting:
    """The student's own sitting of the exam; a student who has none yet is told why (400), staff get 403."""
    require_exam_student(user=user, course=exam.course)
    sitting = Sitting.objects.filter(exam=exam, student=user).select_related("session", "exam__course").first()
    if sitting is None:
        raise Refused("You have no exam session; choose the exam and wait for the date to be picked.")
    return sitting
