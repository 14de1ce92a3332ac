"""URL routes of assignments: pages under /c/<code>/assignments/ and the API under /api/courses/<code>/assignments/."""

from django.urls import path

from . import api, views

app_name = "assignments"
P = "c/<slug:code>/assignments/"
A = "api/courses/<slug:code>/assignments/"
urlpatterns = [
    path(P, views.assignment_list, name="list"),
    path(P + "new/", views.assignment_edit, name="new"),
    path(P + "queue/", views.review_queue, name="queue"),
    path(P + "queue/claim-next/", views.claim_next, name="claim_next"),
    path(P + "progress/", views.progress, name="progress"),
    path(P + "review/<int:pk>/", views.review_page, name="review"),
    path(P + "<int:number>/", views.assignment_detail, name="detail"),
    path(P + "<int:number>/edit/", views.assignment_edit, name="edit"),
    path(P + "<int:number>/handout/", views.handout, name="handout"),
    path(P + "<int:number>/extensions/", views.extension_grant, name="extension_grant"),
    path(P + "<int:number>/extensions/<str:student>/revoke/", views.extension_revoke, name="extension_revoke"),
    path(P + "<int:number>/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path(P + "<int:number>/submissions/<int:pk>/report.pdf", views.submission_report, name="submission_report"),
    path(P + "<int:number>/submissions/<int:pk>/code.zip", views.submission_code, name="submission_code"),
    # API
    path(A, api.AssignmentListApi.as_view(), name="api_list"),
    path(A + "queue/", api.ReviewQueueApi.as_view(), name="api_queue"),
    path(A + "progress/", api.ProgressApi.as_view(), name="api_progress"),
    path(A + "submissions/<int:pk>/claim/", api.ClaimApi.as_view(), name="api_claim"),
    path(A + "submissions/<int:pk>/assign/", api.AssignReviewerApi.as_view(), name="api_assign"),
    path(A + "submissions/<int:pk>/review/", api.ReviewApi.as_view(), name="api_review"),
    path(A + "submissions/<int:pk>/regrade/", api.RegradeRequestApi.as_view(), name="api_regrade"),
    path(A + "submissions/<int:pk>/regrade/answer/", api.RegradeAnswerApi.as_view(), name="api_regrade_answer"),
    path(A + "<int:number>/", api.AssignmentDetailApi.as_view(), name="api_detail"),
    path(A + "<int:number>/submissions/", api.SubmissionListCreateApi.as_view(), name="api_submissions"),
    path(A + "<int:number>/extensions/", api.ExtensionApi.as_view(), name="api_extensions"),
    path(A + "<int:number>/extensions/<str:student>/", api.ExtensionRevokeApi.as_view(), name="api_extension_revoke"),
]
