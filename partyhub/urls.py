from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

api_v1 = [
    path("", include("partyhub.api.urls")),
    path("", include("members.api.urls")),
    path("", include("documents.api.urls")),
    path("", include("meetings.api.urls")),  # meetings, invitations, agenda, comments, schedule (H-meet)
    path("", include("meetings.api.notes")),  # a delegate's private page notes (H-tablet)
    path("", include("meetings.api.room")),  # attendance and votes (H-room)
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("partyhub.auth_urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("notifications/", include("partyhub.notification_urls")),
    path("files/", include("partyhub.file_urls")),
    path("members/", include("members.urls")),
    path("documents/", include("documents.urls")),
    path("library/", include("documents.public_urls")),
    path("meetings/", include("meetings.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
