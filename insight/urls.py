"""URL routes of insight: staff pages under /c/<code>/insight/ and the API under /api/courses/<code>/insight/."""

from django.urls import path

from . import api, views

app_name = "insight"
urlpatterns = [
    path("c/<slug:code>/insight/", views.index, name="index"),
    path("c/<slug:code>/insight/assignments/<int:number>/", views.analytics_page, name="analytics"),
    path("c/<slug:code>/insight/assignments/<int:number>/csv/<slug:table>.csv", views.analytics_csv, name="csv"),
    path("c/<slug:code>/insight/assignments/<int:number>/remind/", views.remind, name="remind"),
    path("c/<slug:code>/insight/assignments/<int:number>/similarity/", views.similarity_page, name="similarity"),
    path("c/<slug:code>/insight/assignments/<int:number>/similarity/run/", views.similarity_run, name="similarity_run"),
    path("c/<slug:code>/insight/similarity/pairs/<int:pair_id>/", views.pair_page, name="pair"),
    path("c/<slug:code>/insight/similarity/pairs/<int:pair_id>/decide/", views.pair_decide, name="pair_decide"),
    path(
        "api/courses/<slug:code>/insight/assignments/<int:number>/",
        api.AssignmentAnalyticsApi.as_view(),
        name="api_analytics",
    ),
    path(
        "api/courses/<slug:code>/insight/assignments/<int:number>/similarity/",
        api.SimilarityApi.as_view(),
        name="api_similarity",
    ),
]
