"""Projects made by someone else (no azkaban-seeder marker), for ownership tests."""

from __future__ import annotations


def create_foreign_project(url: str, name: str, jobs: dict[str, str] | None = None) -> None:
    """A project another team made by hand: no azkaban-seeder marker in its description,
    created and filled with plain requests calls (not our client, which always marks)."""
    import io
    import zipfile

    import requests

    with requests.Session() as http:
        login = http.post(
            f"{url}/", data={"action": "login", "username": "azkaban", "password": "azkaban"}
        )
        login.raise_for_status()
        created = http.post(
            f"{url}/manager",
            data={"action": "create", "name": name, "description": "nightly billing team"},
        ).json()
        assert created.get("status") == "success", created
        if jobs is None:
            return
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for job, text in jobs.items():
                archive.writestr(f"{job}.job", text)
        reply = http.post(
            f"{url}/manager",
            data={"ajax": "upload", "project": name},
            files={"file": ("team.zip", buffer.getvalue(), "application/zip")},
        )
        assert "version" in reply.json(), reply.text
