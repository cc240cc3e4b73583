from django.urls import path

from . import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("badge/", views.notification_badge, name="badge"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("<int:pk>/open/", views.notification_open, name="open"),
]
