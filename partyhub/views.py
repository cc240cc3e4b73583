from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render


def home(request):
    return render(request, "partyhub/home.html", {})


@login_not_required
def healthz(request):
    return JsonResponse({"status": "ok"})
