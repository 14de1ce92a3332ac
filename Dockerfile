# coursesite images: the web app and the workers share one image; workers also carry the grading runtime.
# PDF.js (the review page's report viewer) from the npm registry by its lock file; only its built files are kept.
FROM node:20-bookworm-slim AS pdfjs
WORKDIR /src
COPY rubrics/pdfjs/package.json rubrics/pdfjs/package-lock.json rubrics/pdfjs/
COPY scripts/pdfjs.sh scripts/
RUN scripts/pdfjs.sh

FROM python:3.12-slim-bookworm AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=0 COURSESITE_VAR_DIR=/var/lib/coursesite
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/ requirements/
RUN python -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir -r requirements/app.txt
# The grading runtimes (workers/runtimes.py), venvs of Pythons under /usr, which the sandbox binds: python3.12 (the
# default) from the image's own Python, torch from Debian's python3 (3.11).
RUN python -m venv /app/.runtimes/python3.12 \
    && /app/.runtimes/python3.12/bin/pip install --no-cache-dir -r requirements/runtime-python3.12.txt \
    && /usr/bin/python3 -m venv /app/.runtime && /app/.runtime/bin/pip install --no-cache-dir -r requirements/runtime.txt \
    && chmod -R o+rX /app/.runtimes /app/.runtime
COPY . .
COPY --from=pdfjs /src/rubrics/static/rubrics/pdfjs rubrics/static/rubrics/pdfjs
# The judge runs as its own uid (COURSESITE_JUDGE_UID) and reads the code from here; the state folder is the site's.
RUN chmod -R o+rX /app && mkdir -p -m 0711 /var/lib/coursesite
RUN /app/.runtimes/python3.12/bin/python -m workers.suites.build_data \
    && SECRET_KEY=build-only /app/.venv/bin/python manage.py collectstatic --noinput
ENV PATH=/app/.venv/bin:$PATH
EXPOSE 8000
CMD ["gunicorn", "coursesite.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
