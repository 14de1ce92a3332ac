"""URL routes of workers: pages under /c/<code>/workers/ and the API under /api/courses/<code>/workers/."""

from django.urls import path

from . import api, metrics, views

app_name = "workers"
urlpatterns = [
    path("c/<slug:code>/workers/jobs/<int:job_id>/", views.job_fragment, name="job"),
    path("c/<slug:code>/workers/queue/", views.queue_page, name="queue"),
    path("api/courses/<slug:code>/workers/queue/", api.QueueApi.as_view(), name="api_queue"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("c/<slug:code>/workers/jobs/<int:job_id>/figures/<int:index>/", views.job_figure, name="figure"),
    path(
        "c/<slug:code>/workers/submissions/<int:submission_id>/grade-again/",
        views.submission_rerun,
        name="submission_rerun",
    ),
    path("c/<slug:code>/workers/assignments/<int:number>/", views.autograder_page, name="autograder"),
    path("c/<slug:code>/workers/assignments/<int:number>/suites/", views.suite_upload, name="suite_upload"),
    path(
        "c/<slug:code>/workers/assignments/<int:number>/suites/<int:version>/activate/",
        views.suite_activate,
        name="suite_activate",
    ),
    path("c/<slug:code>/workers/assignments/<int:number>/runs-per-day/", views.runs_per_day, name="runs_per_day"),
    path("c/<slug:code>/workers/assignments/<int:number>/rerun/", views.rerun_all, name="rerun_all"),
    path("c/<slug:code>/workers/assignments/<int:number>/rerun/progress/", views.rerun_fragment, name="rerun_progress"),
    path("c/<slug:code>/workers/assignments/<int:number>/trial/", views.trial, name="trial"),
    path(
        "api/courses/<slug:code>/workers/submissions/<int:submission_id>/grading/",
        api.SubmissionGradingApi.as_view(),
        name="api_submission_grading",
    ),
    path(
        "api/courses/<slug:code>/workers/submissions/<int:submission_id>/grading/rerun/",
        api.SubmissionRerunApi.as_view(),
        name="api_submission_rerun",
    ),
    path(
        "api/courses/<slug:code>/workers/assignments/<int:number>/suites/",
        api.SuiteApi.as_view(),
        name="api_suites",
    ),
    path(
        "api/courses/<slug:code>/workers/assignments/<int:number>/suites/<int:version>/activate/",
        api.SuiteActivateApi.as_view(),
        name="api_suite_activate",
    ),
    path(
        "api/courses/<slug:code>/workers/assignments/<int:number>/rerun/",
        api.RerunApi.as_view(),
        name="api_rerun",
    ),
]
