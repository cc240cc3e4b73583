"""API of incoming documents, included at /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .library import PublicationViewSet, PublicPublicationViewSet
from .outgoing import OutgoingDocumentViewSet
from .verify import OutgoingVerificationView, SignatureVerificationView
from .views import AssignmentViewSet, IncomingDocumentViewSet, SavedSearchViewSet

router = SimpleRouter()
router.register("incoming-documents", IncomingDocumentViewSet, basename="incoming-document")
router.register("assignments", AssignmentViewSet, basename="incoming-assignment")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")
# Outgoing documents (issue 5, H-flow): drafting, the transitions, the outgoing register.
router.register("outgoing-documents", OutgoingDocumentViewSet, basename="outgoing-document")
# The library (issue 5): members' library and publishing; the public library (read-only, no login).
router.register("library", PublicationViewSet, basename="library-publication")
router.register("public-library", PublicPublicationViewSet, basename="public-library")

urlpatterns = router.urls

# Verifying signed PDFs (issue 5, H-sign).
urlpatterns += [
    path("signature-verifications/", SignatureVerificationView.as_view(), name="signature-verification"),
    path(
        "signature-verifications/outgoing/<int:pk>/",
        OutgoingVerificationView.as_view(),
        name="signature-verification-outgoing",
    ),
]
