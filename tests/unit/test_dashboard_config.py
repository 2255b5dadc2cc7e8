"""Which URLs the dashboard calls and which origins may call the APIs: from Settings alone."""

from __future__ import annotations

from shared.settings import Settings as _Settings
from services.casework.api.dashboard import public_urls


def Settings(**given) -> _Settings:
    """Settings from these values only, whatever the environment of the test run says."""
    defaults = {
        "host": "127.0.0.1",
        "cors_origins": None,
        "ingest_port": 8001,
        "scoring_port": 8002,
        "alerts_port": 8003,
        "casework_port": 8004,
        "surveys_port": 8005,
    }
    return _Settings(_env_file=None, **(defaults | given))


def test_the_browser_calls_each_service_on_its_port_at_the_configured_host():
    s = Settings(host="127.0.0.1", scoring_port=9102)
    assert public_urls(s, "127.0.0.1:8004") == {
        "ingest": "http://127.0.0.1:8001",
        "scoring": "http://127.0.0.1:9102",
        "alerts": "http://127.0.0.1:8003",
        "casework": "http://127.0.0.1:8004",
        "surveys": "http://127.0.0.1:8005",
    }
    assert public_urls(Settings(host="lazo.internal"), "x:1")["alerts"] == "http://lazo.internal:8003"


def test_a_wildcard_bind_is_called_at_the_host_the_browser_used():
    s = Settings(host="0.0.0.0")
    assert public_urls(s, "ops.example.com:8004")["scoring"] == "http://ops.example.com:8002"
    assert public_urls(s, "localhost")["ingest"] == "http://localhost:8001"
    assert public_urls(s, "[::1]:8004")["alerts"] == "http://[::1]:8003"


def test_cors_origins_default_to_the_casework_origin():
    assert Settings(host="127.0.0.1", casework_port=9004).cors_origin_list() == [
        "http://127.0.0.1:9004",
        "http://localhost:9004",
    ]
    assert Settings(host="0.0.0.0").cors_origin_list() == ["http://127.0.0.1:8004", "http://localhost:8004"]
    assert Settings(host="ops.internal").cors_origin_list() == ["http://ops.internal:8004"]


def test_cors_origins_can_be_set():
    s = Settings(cors_origins=" https://ops.example.com/ , https://backup.example.com")
    assert s.cors_origin_list() == ["https://ops.example.com", "https://backup.example.com"]
    assert Settings(cors_origins="*").cors_origin_list() == ["*"]
