# PartyHub production image: web (gunicorn), Celery worker and beat all run from it.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Run-time system packages (the same list `make run` installs) plus Node.js to build the vendored assets.
COPY scripts/system-packages.txt scripts/ensure-system-packages.sh scripts/
RUN apt-get update \
    && scripts/ensure-system-packages.sh scripts/system-packages.txt \
    && rm -rf /var/lib/apt/lists/*

COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY package.json package-lock.json ./
COPY scripts/build_vendor.py scripts/build_vendor.py
RUN python scripts/build_vendor.py && rm -rf node_modules

COPY . .
RUN for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check-format -o "${po%.po}.mo" "$po"; done \
    && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home /app partyhub \
    && mkdir -p /srv/partyhub/private /srv/partyhub/static \
    && chown -R partyhub /srv/partyhub

USER partyhub
EXPOSE 8000
CMD ["gunicorn", "partyhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--access-logfile", "-"]
