"""API of the members app, included at /api/v1/."""

from rest_framework.routers import SimpleRouter

from .views import MemberViewSet, OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
