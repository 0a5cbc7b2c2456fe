"""Secrets never leave the client in a message, even when the server echoes the request."""

from __future__ import annotations

import html
import json
import logging
from urllib.parse import quote_plus

import pytest
from fake_azkaban_server import PASSWORD, FakeAzkaban, Reply, make_client

from azkaban_seeder.azkaban import AzkabanError
from azkaban_seeder.azkaban.redaction import MASK, redact, register


def test_registered_secret_is_masked_in_every_echoed_form() -> None:
    secret = 'pa ss&wörd"<1>'
    register(secret)
    echoed = " | ".join([secret, quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)])
    text = redact(f"got {echoed}")
    assert "wörd" not in text and "w%C3%B6rd" not in text
    assert text.count(MASK) == 4


@pytest.mark.parametrize(
    "echo",
    [
        "action=login&username=u&password=never-registered-1",
        '{"username": "u", "password" : "never-registered-1"}',
        "Cookie: azkaban.browser.session.id=never-registered-1; other=1",
        '{"status": "success", "session.id": "never-registered-1"}',
    ],
)
def test_credential_fields_are_masked_even_when_unknown(echo: str) -> None:
    text = redact(f"proxy says: {echo}")
    assert "never-registered-1" not in text
    assert MASK in text


def test_short_secrets_do_not_blank_every_message() -> None:
    register("ab")
    assert redact("a table about abc") == "a table about abc"


def test_echoing_server_login_never_shows_the_password(
    fake_azkaban: FakeAzkaban, caplog: pytest.LogCaptureFixture
) -> None:
    # Regression: a proxy/WAF page repeating the login request put the password into the
    # error message (CLI stderr, task log, XCom, report).
    fake_azkaban.echo_status = 502
    client = make_client(fake_azkaban.url, attempts=2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AzkabanError) as caught:
        client.login()
    client.close()
    shown = " ".join([str(caught.value), repr(caught.value), caught.value.body, caplog.text])
    assert fake_azkaban.requests, "the server saw the login"
    assert PASSWORD in fake_azkaban.requests[0].body.decode()  # it really was echoed
    assert PASSWORD not in shown and quote_plus(PASSWORD) not in shown


def test_echoing_server_never_shows_the_session_id(fake_azkaban: FakeAzkaban) -> None:
    fake_azkaban.script = lambda req: Reply(
        502, f"echo: cookie={req.headers.get('cookie')}", {"Content-Type": "text/plain"}
    )
    client = make_client(fake_azkaban.url, attempts=1)
    with pytest.raises(AzkabanError) as caught:
        client.fetch_project_flows("p")
    client.close()
    session_id = next(iter(fake_azkaban.sessions))
    assert session_id not in str(caught.value)
    assert session_id not in caught.value.body


def test_the_documented_default_password_is_not_treated_as_a_secret() -> None:
    # Masking the sandbox's public default "azkaban" blanked the product's name everywhere.
    register("azkaban")
    assert redact("azkaban-flow-version missing") == "azkaban-flow-version missing"
    assert redact("password=azkaban") == "password=***"
