# The production image: gunicorn + whitenoise on a slim Python, run as an unprivileged user.
# Every wheel in requirements.txt is prebuilt (psycopg ships libpq in psycopg-binary), so one
# stage suffices and no compiler is ever installed.
FROM python:3.11-slim

# The repository URL and revision are the builder's to give (the GitHub workflow passes them).
ARG SOURCE_URL=""
ARG REVISION=""
LABEL org.opencontainers.image.title="LibreChat Balance Manager" \
      org.opencontainers.image.description="Django admin for LibreChat token credit balances" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.source="$SOURCE_URL" \
      org.opencontainers.image.revision="$REVISION"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A virtualenv: the same Dockerfile works on the official image and on a Debian base whose
# system Python refuses pip installs (bin/image-smoke builds on one).
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
    && pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app

WORKDIR /app
# Includes the compiled translations (locale/*/LC_MESSAGES/django.mo, committed beside their .po):
# this slim image has no gettext to run compilemessages.
COPY . .
# Hashed, compressed static files are built once here; the code stays owned by root.
ENV STATIC_MANIFEST=1 \
    DATABASE_URL=sqlite:////app/var/balancemgr.sqlite3 \
    PORT=8000 \
    GUNICORN_WORKERS=2
# DEBUG only for this step: the settings refuse to load without the secrets, which the build has none of.
RUN DEBUG=1 python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q . \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app
EXPOSE 8000
VOLUME ["/app/var"]
# /health answers without a Host from ALLOWED_HOSTS, so 127.0.0.1 works whatever the site name.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
ENTRYPOINT ["/app/bin/docker-entrypoint"]
CMD ["gunicorn", "--config", "python:balancemgr.gunicorn_conf", "balancemgr.wsgi"]
