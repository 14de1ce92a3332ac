"""Audit action names follow one spelling, `noun.verb` (the thing acted on, singular; the verb in the present
tense): stored AuditLog rows are renamed from RENAMES (old -> new); the reverse renames them back."""

from collections.abc import Iterable

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# old action -> new action. One entry per old name; every new name is distinct, so the reverse is exact.
RENAMES = {
    "account.invitation_accepted": "invitation.accept",
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
}


def _rename(apps: Apps, schema_editor: BaseDatabaseSchemaEditor, pairs: Iterable[tuple[str, str]]) -> None:
    AuditLog = apps.get_model("coursesite", "AuditLog")
    db = schema_editor.connection.alias
    for old, new in pairs:
        AuditLog.objects.using(db).filter(action=old).update(action=new)


def forwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _rename(apps, schema_editor, RENAMES.items())


def backwards(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _rename(apps, schema_editor, ((new, old) for old, new in RENAMES.items()))


class Migration(migrations.Migration):
    dependencies = [("coursesite", "0003_roster_invitations_withdrawal")]

    operations = [migrations.RunPython(forwards, backwards)]
