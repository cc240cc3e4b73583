from django.urls import path

from .views import detail, handling
from .views import receiving as receiving_views
from .views import registering as registering_views
from .views import registers as registers_views
from .views import search as search_views

app_name = "documents"

urlpatterns = [
    # Queues and the document page (D3)
    path("", handling.index, name="index"),
    path("incoming/<int:pk>/", detail.detail, name="detail"),
    path("incoming/<int:pk>/direct/", handling.direct, name="direct"),
    path("incoming/<int:pk>/progress/", handling.progress, name="progress"),
    path("incoming/<int:pk>/done/", handling.done, name="done"),
    path("incoming/<int:pk>/close/", handling.close, name="close"),
    path("incoming/<int:pk>/reopen/", handling.reopen, name="reopen"),
    # Receiving and digitizing (D1)
    path("receive/", receiving_views.receive, name="receive"),
    path("drafts/", receiving_views.drafts, name="drafts"),
    path("drafts/progress/", receiving_views.digitizing_progress, name="digitizing_progress"),
    path("drafts/<int:pk>/redigitize/", receiving_views.redigitize, name="redigitize"),
    path("drafts/<int:pk>/discard/", receiving_views.discard, name="discard"),
    # Search and saved searches (D4)
    path("search/", search_views.search_page, name="search"),
    path("search/saved/", search_views.saved_search_save, name="search_save"),
    path("search/saved/<int:pk>/", search_views.saved_search_run, name="search_saved_run"),
    path("search/saved/<int:pk>/delete/", search_views.saved_search_delete, name="search_saved_delete"),
    # Registering, the registers and statistics (D2)
    path("incoming/<int:pk>/register/", registering_views.register, name="register"),
    path("incoming/<int:pk>/void/", registering_views.void, name="void"),
    path("registers/", registers_views.registers, name="registers"),
    path("statistics/", registers_views.statistics_page, name="statistics"),
]
