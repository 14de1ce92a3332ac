"""Audit action names follow one spelling, `noun.verb` (the thing acted on, singular; the verb in the present
tense): stored AuditLog rows are renamed from RENAMES (old -> new); the reverse renames them back."""

from collections.abc import Iterable

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# old action -> new action. One entry per old name; every new name is distinct, so the reverse is exact.
RENAMES = {
    # core, accounts, sso, lti, notifications, insight
    "account.invitation_accepted": "roster_invitation.accept",
    "api_token_created": "api_token.create",
    "api_token_revoked": "api_token.revoke",
    "api_tokens_revoked": "api_token.revoke_all",
    "calendar.token_rotate": "calendar_token.rotate",
    "course.dates_update": "course_dates.update",
    "insight.pair_decided": "similarity_pair.decide",
    "insight.reminder_sent": "reminder.send",
    "insight.similarity_requested": "similarity.request",
    "lti.deep_link_sent": "deep_link.send",
    "lti.platform_added": "lti_platform.add",
    "lti.platform_removed": "lti_platform.remove",
    "lti.role_updated": "membership_role.update",
    "lti.score_sent_again": "lti_score.resend",
    "lti.tool_key_rotated": "lti_tool_key.rotate",
    "notifications.announce": "announcement.send",
    "notifications.preferences": "notification_preference.update",
    "roster.import_refused": "roster_import.refuse",
    "signin_locked_out": "signin.lock_out",
    "sso.identity_bound": "identity.bind",
    # assignments, exams, grading, rubrics
    "exam.settings_update": "exam_settings.update",
    "exam.candidates_set": "candidate_date.set",
    "exam.module_choose": "module.choose",
    "exam.poll_vote": "poll.vote",
    "exam.poll_close": "poll.close",
    "exam.poll_reopen": "poll.reopen",
    "exam.sessions_pick": "exam_session.pick",
    "exam.sitting_assign": "sitting.assign",
    "exam.sitting_move": "sitting.move",
    "exam.session_deadline": "exam_session.update",
    "exam.questions_upload": "exam_questions.upload",
    "exam.answer_upload": "exam_answer.upload",
    "exam.extension_grant": "exam_extension.grant",
    "exam.extension_revoke": "exam_extension.revoke",
    "exam.mark_record": "exam_mark.record",
    "grading.settings_update": "grading_settings.update",
    "grading.finalise": "final_grade.finalise",
    "grading.final_grade_change": "final_grade.change",
    "grading.records_export": "records_export.make",
    "grading.canvas_columns_set": "canvas_column.set",
    "grading.canvas_roster_import": "canvas_roster.import",
    "grading.relock": "final_grade.relock",
    "rubric.comment_add": "inline_comment.add",
    "rubric.comment_delete": "inline_comment.delete",
    "rubric.criterion_delete": "criterion.delete",
    "rubric.criterion_save": "criterion.save",
    "rubric.marks_save": "rubric_mark.save",
    # projects
    "project.group_create": "group.create",
    "project.invite": "invitation.create",
    "project.invitation_accepted": "invitation.accept",
    "project.invitation_declined": "invitation.decline",
    "project.group_leave": "group.leave",
    "project.partner_search": "partner_search.set",
    "project.group_form": "group.form",
    "project.member_add": "group_member.add",
    "project.member_remove": "group_member.remove",
    "project.group_split": "group.split",
    "project.group_merge": "group.merge",
    "project.proposal_submit": "proposal.submit",
    "project.proposal_approved": "proposal.approve",
    "project.proposal_changes": "proposal.request_changes",
    "project.proposal_rejected": "proposal.reject",
    "project.compute_applied": "compute_account.apply",
    "project.compute_granted": "compute_account.grant",
    "project.report_upload": "final_report.upload",
    "project.oral_slots_publish": "oral_slot.publish",
    "project.oral_book": "oral_slot.book",
    "project.oral_move": "oral_slot.move",
    "project.oral_place": "oral_slot.place",
    "project.oral_grade": "oral_grade.record",
    "project.help_publish": "help_availability.publish",
    "project.help_withdraw": "help_availability.withdraw",
    "project.help_book": "help_slot.book",
    "project.help_cancel": "help_booking.cancel",
    "project.help_attendance": "help_booking.note_attendance",
    "project.settings_update": "project_settings.update",
    # the autograder
    "suite_upload": "suite.upload",
    "suite_activate": "suite.activate",
    "suite_runs_per_day": "suite.set_runs_per_day",
    "grading_rerun_all": "suite.rerun_all",
    "grading_trial": "suite.try",
    "grading_rerun_one": "job.rerun",
    "grading_enqueue": "job.enqueue",
    "grading_ungradable": "job.give_up",
}


def _rename(apps: Apps, schema_editor: BaseDatabaseSchemaEditor, pairs: Iterable[tuple[str, str]]) -> None:
    AuditLog = apps.get_model("coursesite", "AuditLog")
    db = schema_editor.connection.alias
    for old, new in pairs:
        AuditLog.objects.using(db).filter(action=old).update(action=new)


# A job sent over the daily limit was written as "grading_enqueue" with state "skipped"; it is now "job.skip".
SKIPPED_ENQUEUE = ("grading_enqueue", "job.skip")


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AuditLog = apps.get_model("coursesite", "AuditLog")
    old, new = SKIPPED_ENQUEUE
    AuditLog.objects.using(schema_editor.connection.alias).filter(action=old, data__state="skipped").update(action=new)
    _rename(apps, schema_editor, RENAMES.items())


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _rename(apps, schema_editor, ((new, old) for old, new in RENAMES.items()))
    _rename(apps, schema_editor, [SKIPPED_ENQUEUE[::-1]])


class Migration(migrations.Migration):
    dependencies = [("coursesite", "0003_roster_invitations_withdrawal")]

    operations = [migrations.RunPython(forwards, backwards)]
