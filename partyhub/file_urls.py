from django.urls import path

from . import file_views

app_name = "files"

urlpatterns = [
    path("<uuid:pk>/", file_views.download, name="download"),
]
