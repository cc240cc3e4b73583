"""The one download URL for private files: permission through the registry, a uniform 404 for every refusal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.views.decorators.http import require_safe

from .files import can_download, serve_file
from .models import StoredFile


# Public in the URL sense only: an anonymous request gets the same 404 as a forbidden or missing file, so the
# URL neither reveals that a file exists nor redirects a pdf.js range request to an HTML login page.
@login_not_required
@require_safe
def download(request, pk):
    stored_file = StoredFile.objects.filter(pk=pk).first()
    if stored_file is None or not can_download(request.user, stored_file):
        raise Http404
    return serve_file(request, stored_file, as_attachment=request.GET.get("download") == "1")
