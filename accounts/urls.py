"""URL routes of accounts: the token page under /accounts/ (the API's are in coursesite/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tokens/", views.tokens_page, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
