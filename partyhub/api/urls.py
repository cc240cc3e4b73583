"""API of the core app, included at /api/v1/."""

from django.urls import path

from .views import CurrentUserView

urlpatterns = [
    path("me/", CurrentUserView.as_view(), name="api-me"),
]
