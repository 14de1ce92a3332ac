"""URL routes of projects: pages under /c/<code>/projects/ and the API under /api/courses/<code>/projects/."""

from django.urls import path

from . import api, views

app_name = "projects"
P = "c/<slug:code>/projects/"
A = "api/courses/<slug:code>/projects/"
urlpatterns = [
    # Pages (GET only)
    path(P, views.home, name="home"),
    path(f"{P}groups/<int:group_id>/", views.group_detail, name="group"),
    path(f"{P}proposals/", views.proposal_queue, name="proposal_queue"),
    path(f"{P}files/<str:kind>/<int:pk>/", views.file_download, name="file"),
    path(f"{P}orals/", views.orals, name="orals"),
    path(f"{P}help/", views.help_sessions, name="help"),
    path(f"{P}settings/", views.settings_page, name="settings"),
    # What the pages' forms do (POST), one view each
    path(f"{P}groups/create/", views.group_create, name="group_create"),
    path(f"{P}groups/form/", views.group_form, name="group_form"),
    path(f"{P}invitations/<int:invitation_id>/answer/", views.invitation_answer, name="invitation_answer"),
    path(f"{P}partners/", views.partner_search, name="partner_search"),
    path(f"{P}groups/<int:group_id>/invite/", views.group_invite, name="group_invite"),
    path(f"{P}groups/<int:group_id>/leave/", views.group_leave, name="group_leave"),
    path(f"{P}groups/<int:group_id>/proposals/submit/", views.proposal_submit, name="proposal_submit"),
    path(f"{P}groups/<int:group_id>/compute/applied/", views.compute_applied, name="compute_applied"),
    path(f"{P}groups/<int:group_id>/compute/granted/", views.compute_granted, name="compute_granted"),
    path(f"{P}groups/<int:group_id>/report/", views.report_upload, name="report_upload"),
    path(f"{P}groups/<int:group_id>/members/add/", views.member_add, name="member_add"),
    path(f"{P}groups/<int:group_id>/members/remove/", views.member_remove, name="member_remove"),
    path(f"{P}groups/<int:group_id>/split/", views.group_split, name="group_split"),
    path(f"{P}groups/<int:group_id>/merge/", views.group_merge, name="group_merge"),
    path(f"{P}groups/<int:group_id>/grade/", views.group_grade, name="group_grade"),
    path(f"{P}proposals/<int:proposal_id>/decide/", views.proposal_decide, name="proposal_decide"),
    path(f"{P}orals/publish/", views.oral_publish, name="oral_publish"),
    path(f"{P}orals/<int:slot_id>/place/", views.oral_place, name="oral_place"),
    path(f"{P}orals/<int:slot_id>/book/", views.oral_book, name="oral_book"),
    path(f"{P}help/publish/", views.help_publish, name="help_publish"),
    path(f"{P}help/slots/<int:slot_id>/book/", views.help_book, name="help_book"),
    path(f"{P}help/bookings/<int:booking_id>/cancel/", views.help_cancel, name="help_cancel"),
    path(f"{P}help/bookings/<int:booking_id>/attendance/", views.help_attendance, name="help_attendance"),
    path(f"{P}help/availability/<int:availability_id>/withdraw/", views.help_withdraw, name="help_withdraw"),
    path(f"{P}settings/update/", views.settings_update, name="settings_update"),
    # The API
    path(f"{A}settings/", api.ProjectSettingsApi.as_view(), name="api_settings"),
    path(f"{A}groups/", api.GroupListApi.as_view(), name="api_groups"),
    path(f"{A}groups/form/", api.GroupFormApi.as_view(), name="api_group_form"),
    path(f"{A}groups/<int:group_id>/", api.GroupDetailApi.as_view(), name="api_group"),
    path(f"{A}groups/<int:group_id>/invitations/", api.GroupInviteApi.as_view(), name="api_group_invite"),
    path(f"{A}groups/<int:group_id>/leave/", api.GroupLeaveApi.as_view(), name="api_group_leave"),
    path(f"{A}groups/<int:group_id>/members/add/", api.GroupMemberAddApi.as_view(), name="api_member_add"),
    path(f"{A}groups/<int:group_id>/members/remove/", api.GroupMemberRemoveApi.as_view(), name="api_member_remove"),
    path(f"{A}groups/<int:group_id>/split/", api.GroupSplitApi.as_view(), name="api_group_split"),
    path(f"{A}groups/<int:group_id>/merge/", api.GroupMergeApi.as_view(), name="api_group_merge"),
    path(f"{A}groups/<int:group_id>/proposals/", api.ProposalListApi.as_view(), name="api_proposals"),
    path(f"{A}groups/<int:group_id>/compute/", api.ComputeAccountApi.as_view(), name="api_compute"),
    path(f"{A}groups/<int:group_id>/report/", api.ReportUploadApi.as_view(), name="api_report"),
    path(f"{A}groups/<int:group_id>/grade/", api.OralGradeApi.as_view(), name="api_grade"),
    path(f"{A}invitations/", api.InvitationListApi.as_view(), name="api_invitations"),
    path(
        f"{A}invitations/<int:invitation_id>/answer/", api.InvitationAnswerApi.as_view(), name="api_invitation_answer"
    ),
    path(f"{A}partners/", api.PartnerSearchApi.as_view(), name="api_partners"),
    path(f"{A}proposals/queue/", api.ProposalQueueApi.as_view(), name="api_proposal_queue"),
    path(f"{A}proposals/<int:proposal_id>/decision/", api.ProposalDecisionApi.as_view(), name="api_proposal_decide"),
    path(f"{A}orals/", api.OralSlotListApi.as_view(), name="api_orals"),
    path(f"{A}orals/<int:slot_id>/book/", api.OralBookApi.as_view(), name="api_oral_book"),
    path(f"{A}orals/<int:slot_id>/place/", api.OralPlaceApi.as_view(), name="api_oral_place"),
    path(f"{A}help/slots/", api.HelpSlotListApi.as_view(), name="api_help_slots"),
    path(f"{A}help/slots/<int:slot_id>/book/", api.HelpBookApi.as_view(), name="api_help_book"),
    path(f"{A}help/availability/", api.HelpAvailabilityApi.as_view(), name="api_help_availability"),
    path(
        f"{A}help/availability/<int:availability_id>/withdraw/",
        api.HelpWithdrawApi.as_view(),
        name="api_help_withdraw",
    ),
    path(f"{A}help/bookings/", api.HelpBookingListApi.as_view(), name="api_help_bookings"),
    path(f"{A}help/bookings/<int:booking_id>/cancel/", api.HelpCancelApi.as_view(), name="api_help_cancel"),
    path(f"{A}help/bookings/<int:booking_id>/attendance/", api.HelpAttendanceApi.as_view(), name="api_help_attendance"),
    path(f"{A}help/agenda/", api.HelpAgendaApi.as_view(), name="api_help_agenda"),
]
