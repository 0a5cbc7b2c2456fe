"""Airflow glue for azkaban-seeder, shaped like an Airflow provider package.

`hooks` (Connection type ``azkaban`` -> client settings), `operators` (the shard operator),
`links` (extra links), `tasks` (the task bodies the DAG files call), `params` (DAG Params built
from the spec's field table), `settings` (deployment knobs from the environment), `plugin`
(registration) and `provider` (the provider info Airflow reads for the connection type).

Nothing here is imported by ``azkaban_seeder``: the product does not know Airflow exists.
"""
