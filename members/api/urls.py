"""API of the members app, included at /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")

urlpatterns = router.urls
