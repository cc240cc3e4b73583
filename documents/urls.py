from django.urls import path

from .views import detail, handling
from .views import distribution as distribution_views
from .views import library as library_views
from .views import outgoing as outgoing_views
from .views import outgoing_preview as outgoing_preview_views
from .views import receiving as receiving_views
from .views import registering as registering_views
from .views import registers as registers_views
from .views import search as search_views
from .views import verify as verify_views

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
    # Outgoing documents: drafting, review, signature, issue (issue 5, H-flow)
    path("outgoing/", outgoing_views.outgoing_list, name="outgoing_list"),
    path("outgoing/new/", outgoing_views.outgoing_new, name="outgoing_new"),
    path("outgoing/register/", outgoing_views.outgoing_register, name="outgoing_register"),
    path("outgoing/<int:pk>/", outgoing_views.outgoing_detail, name="outgoing_detail"),
    path("outgoing/<int:pk>/edit/", outgoing_views.outgoing_edit, name="outgoing_edit"),
    path("outgoing/<int:pk>/versions/<int:number>/", outgoing_views.outgoing_version, name="outgoing_version"),
    path("outgoing/<int:pk>/submit/", outgoing_views.outgoing_submit, name="outgoing_submit"),
    path("outgoing/<int:pk>/return/", outgoing_views.outgoing_return, name="outgoing_return"),
    path("outgoing/<int:pk>/approve/", outgoing_views.outgoing_approve, name="outgoing_approve"),
    path("outgoing/<int:pk>/sign/", outgoing_views.outgoing_sign, name="outgoing_sign"),
    path("outgoing/<int:pk>/issue/", outgoing_views.outgoing_issue, name="outgoing_issue"),
    path("outgoing/<int:pk>/void/", outgoing_views.outgoing_void, name="outgoing_void"),
    path("outgoing/<int:pk>/recall/", outgoing_views.outgoing_recall, name="outgoing_recall"),
    path("outgoing/<int:pk>/correct/", outgoing_views.outgoing_correct, name="outgoing_correct"),
    # Preview of outgoing documents in the official layout (issue 5, H-render)
    path("outgoing/preview/", outgoing_preview_views.outgoing_preview_form, name="outgoing_preview_form"),
    path("outgoing/<int:pk>/preview/", outgoing_preview_views.outgoing_preview, name="outgoing_preview"),
    # Distribution and the library (issue 5, H-dist)
    path("outgoing/<int:pk>/deliver/", distribution_views.outgoing_deliver, name="outgoing_deliver"),
    path("outgoing/recipients/<int:pk>/sent/", distribution_views.recipient_mark_sent, name="recipient_mark_sent"),
    path("outgoing/<int:pk>/publish/", library_views.outgoing_publish, name="outgoing_publish"),
    # Verifying signed PDFs (issue 5, H-sign)
    path("verify/", verify_views.verify, name="verify"),
    path("verify/outgoing/<int:pk>/", verify_views.verify_outgoing, name="verify_outgoing"),
    path("library/", library_views.library_page, name="library"),
    path("library/<int:pk>/", library_views.library_detail, name="library_detail"),
    path("library/<int:pk>/bookmark/", library_views.library_bookmark, name="library_bookmark"),
    path("library/<int:pk>/withdraw/", library_views.publication_withdraw, name="publication_withdraw"),
]
