"""Airflow glue for azkaban-seeder, shaped like an Airflow provider package.

`hooks` (Connection type ``azkaban`` -> client settings), `operators` (the shard and report
operators), `links` (extra links), `tasks` (the task bodies), `dag_factory` (the rebuild and
teardown DAGs the files in ``dags/`` build), `params` (DAG Params built from the spec's field
table), `settings` (deployment knobs from the environment), `report_files`, `report_page` and
`report_app` (the run report's page in the api-server), `plugin` (registration) and
`provider` (the provider info Airflow reads for the connection type).

Nothing here is imported by ``azkaban_seeder``: the product does not know Airflow exists.
"""
