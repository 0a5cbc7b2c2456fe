"""`ClientPerThread`: one `AzkabanClient` per thread of a reader pool, sharing one policy.

A requests session is not meant to be shared between threads, so the readers that fan out on
threads (verify, the preflight's ownership reads, the runner's drift check) take their client
from here: each thread gets its own on first use, all with the caller's retry policy and on the
caller's health board (one outage clock for the run), and `close` closes them all.
"""

from __future__ import annotations

import threading

from azkaban_seeder.azkaban.client import AzkabanClient
from azkaban_seeder.azkaban.health import HealthBoard, LocalHealth
from azkaban_seeder.azkaban.retry import RetryPolicy
from azkaban_seeder.azkaban.settings import ConnectionSettings

#: Reader threads of verify, converge and the drift check (below the server's 19 threads,
#: and the DAG runs them apart from the uploads).
THREADS = 8


class ClientPerThread:
    """One client per thread, all with the caller's retry policy and health board (taken from
    a passed client, or given; else a board of their own)."""

    def __init__(
        self,
        settings_or_client: ConnectionSettings | AzkabanClient,
        retry: RetryPolicy | None = None,
        health: HealthBoard | None = None,
    ) -> None:
        self.settings = settings_of(settings_or_client)
        # A passed client lends its policy, so --retry-attempts reaches every verify call.
        if retry is None and isinstance(settings_or_client, AzkabanClient):
            retry = settings_or_client.policy
        self.retry = retry
        # ... and its outage clock: a dead server fails every verify call at once.
        if health is None:
            health = (
                settings_or_client.health
                if isinstance(settings_or_client, AzkabanClient)
                else LocalHealth()
            )
        self.health: HealthBoard = health
        self.local = threading.local()
        self.clients: list[AzkabanClient] = []
        self.lock = threading.Lock()

    def __enter__(self) -> ClientPerThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self) -> AzkabanClient:
        client = getattr(self.local, "client", None)
        if client is None:
            client = AzkabanClient(self.settings, self.retry, health=self.health)
            self.local.client = client
            with self.lock:
                self.clients.append(client)
        return client

    def close(self) -> None:
        with self.lock:
            for client in self.clients:
                client.close()
            self.clients.clear()


def settings_of(settings_or_client: ConnectionSettings | AzkabanClient) -> ConnectionSettings:
    if isinstance(settings_or_client, ConnectionSettings):
        return settings_or_client
    return settings_or_client.settings
