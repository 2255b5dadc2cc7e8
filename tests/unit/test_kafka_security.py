"""The broker's security settings reach every Kafka client Lazo makes: the producer, the consumers
and the admin client (shared.broker.kafka_security), and an incomplete set stops a service at start."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from shared.broker import Publisher, admin_client, kafka_security
from shared.consumer import ConsumerRunner
from shared.settings import Settings

SCRAM = {
    "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "lazo-scoring",
    "KAFKA_SASL_PASSWORD": "a-long-scram-password",
}


async def nothing(_):
    return None


async def test_every_client_authenticates_and_encrypts_as_the_settings_say():
    settings = Settings(**SCRAM)
    publisher = Publisher(settings, client_id="lazo-test")
    producer = publisher._new_producer()
    consumer = ConsumerRunner(settings, group_id="g", topics=["t"], handle=nothing, publisher=publisher)._new_consumer()
    admin = admin_client(settings)
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_SSL"
        assert (client._sasl_mechanism, client._sasl_plain_username, client._sasl_plain_password) == (
            "SCRAM-SHA-512",
            "lazo-scoring",
            "a-long-scram-password",
        )
        assert isinstance(client._ssl_context, ssl.SSLContext)
        assert client._ssl_context.check_hostname and client._ssl_context.verify_mode == ssl.CERT_REQUIRED
    await admin.close()


def test_plaintext_by_default_and_no_sasl_without_a_sasl_protocol():
    assert kafka_security(Settings()) == {"security_protocol": "PLAINTEXT"}
    tls = kafka_security(Settings(KAFKA_SECURITY_PROTOCOL="SSL"))
    assert set(tls) == {"security_protocol", "ssl_context"}


@pytest.mark.parametrize(
    "settings, missing",
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD"),
        ({**SCRAM, "KAFKA_SASL_PASSWORD": ""}, "KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERTFILE": "/etc/lazo/client.crt"}, "KAFKA_SSL_KEYFILE"),
    ],
)
def test_an_incomplete_security_setting_is_refused_naming_what_is_missing(settings, missing):
    with pytest.raises(ValidationError) as refused:
        Settings(**settings)
    assert missing in str(refused.value)


def test_an_unknown_protocol_or_mechanism_is_refused():
    with pytest.raises(ValidationError):
        Settings(KAFKA_SECURITY_PROTOCOL="TLS")
    with pytest.raises(ValidationError):
        Settings(**{**SCRAM, "KAFKA_SASL_MECHANISM": "GSSAPI"})
