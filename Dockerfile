# The Airflow 3.3.2 image with azkaban-seeder installed (used by docker-compose.yml).
#
# The wheel ships azkaban_seeder, azkaban_sandbox (include/) and the Airflow glue
# azkaban_airflow (plugins/); Airflow finds the plugin and the "azkaban" connection type
# through the package's entry points, so no plugins folder is needed. Naming the image's own
# Airflow version next to the package (AIRFLOW_VERSION is set by the base image) keeps pip
# from replacing that Airflow while it resolves the [airflow] extra; this is how Airflow's docs
# say to extend the image.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root pyproject.toml README.md /opt/azkaban-seeder/
COPY --chown=airflow:root include /opt/azkaban-seeder/include
COPY --chown=airflow:root plugins /opt/azkaban-seeder/plugins
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" "/opt/azkaban-seeder[airflow]"
