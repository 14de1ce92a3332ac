"""URL routes of rubrics: pages under /c/<code>/rubrics/ and the API under /api/courses/<code>/rubrics/."""

from django.urls import path

from . import api, views

app_name = "rubrics"
P = "c/<slug:code>/rubrics/"
A = "api/courses/<slug:code>/rubrics/"
urlpatterns = [
    path(P + "assignments/<int:number>/", views.rubric_edit, name="edit"),
    path(P + "submissions/<int:pk>/review/", views.review_save, name="review_save"),
    path(P + "submissions/<int:pk>/comments/", views.comment_add, name="comment_add"),
    path(P + "comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    # API
    path(A + "assignments/<int:number>/", api.RubricApi.as_view(), name="api_rubric"),
    path(A + "submissions/<int:pk>/", api.SubmissionMarksApi.as_view(), name="api_marks"),
    path(A + "submissions/<int:pk>/review/", api.RubricReviewApi.as_view(), name="api_review"),
    path(A + "submissions/<int:pk>/comments/", api.CommentListApi.as_view(), name="api_comments"),
    path(A + "comments/<int:comment_id>/", api.CommentApi.as_view(), name="api_comment"),
]
