# The application image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN DJANGO_SETTINGS_MODULE=welfare.settings.local python manage.py collectstatic --noinput
RUN useradd --system --uid 1000 welfare && chown -R welfare /app
USER welfare
EXPOSE 8000
# gunicorn reads its worker count from WEB_CONCURRENCY: cores + 1 suits these short, CPU-bound
# requests (measured on 2 cores, benchmarks/dashboard.py: 3 workers served more than 5).
ENV WEB_CONCURRENCY=3
CMD ["gunicorn", "welfare.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60"]
