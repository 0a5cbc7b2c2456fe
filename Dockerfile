# Airflow 3.3.2 image with the azkaban-seeder package installed (used by docker-compose.yml).
# Airflow already brings requests, tenacity and PyYAML, so the package installs without deps.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root pyproject.toml README.md /opt/azkaban-seeder/
COPY --chown=airflow:root include /opt/azkaban-seeder/include
RUN pip install --no-cache-dir --no-deps /opt/azkaban-seeder
