"""URL routes of exams: pages under /c/<code>/exams/ and the API under /api/courses/<code>/exams/."""

from django.urls import path

from . import api, views

app_name = "exams"
urlpatterns = [
    path("c/<slug:code>/exams/", views.exam_home, name="home"),
    path("c/<slug:code>/exams/choice/", views.choice, name="choice"),
    path("c/<slug:code>/exams/poll/", views.vote, name="vote"),
    path("c/<slug:code>/exams/poll/close/", views.poll_close, name="poll_close"),
    path("c/<slug:code>/exams/poll/reopen/", views.poll_reopen, name="poll_reopen"),
    path("c/<slug:code>/exams/sessions/pick/", views.sessions_pick, name="sessions_pick"),
    path("c/<slug:code>/exams/sessions/<int:session_id>/", views.session_update, name="session_update"),
    path("c/<slug:code>/exams/sessions/<int:session_id>/questions.pdf", views.questions_file, name="questions"),
    path("c/<slug:code>/exams/my-session/", views.sitting_move, name="sitting_move"),
    path("c/<slug:code>/exams/answer/", views.answer_upload, name="answer_upload"),
    path("c/<slug:code>/exams/answers/<int:sitting_id>.pdf", views.answer_file, name="answer"),
    path("c/<slug:code>/exams/marking/", views.marking, name="marking"),
    path("c/<slug:code>/exams/settings/", views.settings_update, name="settings"),
    # API
    path("api/courses/<slug:code>/exams/", api.ExamApi.as_view(), name="api_exam"),
    path("api/courses/<slug:code>/exams/choice/", api.ModuleChoiceApi.as_view(), name="api_choice"),
    path("api/courses/<slug:code>/exams/poll/", api.PollApi.as_view(), name="api_poll"),
    path("api/courses/<slug:code>/exams/poll/close/", api.PollCloseApi.as_view(), name="api_poll_close"),
    path("api/courses/<slug:code>/exams/poll/reopen/", api.PollReopenApi.as_view(), name="api_poll_reopen"),
    path("api/courses/<slug:code>/exams/sessions/", api.SessionListApi.as_view(), name="api_sessions"),
    path(
        "api/courses/<slug:code>/exams/sessions/<int:session_id>/questions/",
        api.QuestionsApi.as_view(),
        name="api_questions",
    ),
    path("api/courses/<slug:code>/exams/answer/", api.AnswerApi.as_view(), name="api_answer"),
    path("api/courses/<slug:code>/exams/sittings/", api.SittingListApi.as_view(), name="api_sittings"),
    path("api/courses/<slug:code>/exams/sittings/<int:sitting_id>/mark/", api.MarkApi.as_view(), name="api_mark"),
    path(
        "api/courses/<slug:code>/exams/sittings/<int:sitting_id>/extension/",
        api.ExtensionApi.as_view(),
        name="api_extension",
    ),
]
