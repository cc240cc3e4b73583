"""API of incoming documents, included at /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import AssignmentViewSet, IncomingDocumentViewSet, SavedSearchViewSet

router = SimpleRouter()
router.register("incoming-documents", IncomingDocumentViewSet, basename="incoming-document")
router.register("assignments", AssignmentViewSet, basename="incoming-assignment")
router.register("saved-searches", SavedSearchViewSet, basename="saved-search")

urlpatterns = router.urls
