"""The PUBLIC library (no login), included at /library/ without a namespace: ``public_library`` and
``public_library_detail``. Only publications to the public are reachable here."""

from django.urls import path

from .views import library as library_views

urlpatterns = [
    path("", library_views.public_library, name="public_library"),
    path("<int:pk>/", library_views.public_library_detail, name="public_library_detail"),
]
