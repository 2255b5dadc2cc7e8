"""Where Lazo may call: address and host rules, URL checks, safe path joining, platform API hosts."""

from __future__ import annotations

import pytest

from shared.egress import Egress, UnsafePath, join_url, origin_problem, url_problem
from services.ingest.domain.platforms import PLATFORMS
from services.ingest.platform_api import base_url_problem

STRICT, LOCAL_OK = Egress(allow_private=False), Egress(allow_private=True)

INWARD = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:7f00:1",
    "2002:7f00:1::",
    "64:ff9b::a00:1",
    "::10.0.0.1",
]
NEVER = [
    "169.254.169.254",
    "169.254.170.2",
    "169.254.1.1",
    "fe80::1",
    "100.100.100.200",
    "192.0.0.192",
    "fd00:ec2::254",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "2001:db8::1",
    "::ffff:169.254.169.254",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
]
OUTSIDE = ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("ip", INWARD)
def test_inward_addresses_are_refused_unless_private_targets_are_allowed(ip):
    assert "LAZO_ALLOW_PRIVATE_TARGETS" in STRICT.address_refusal(ip)
    assert LOCAL_OK.address_refusal(ip) is None


@pytest.mark.parametrize("ip", NEVER)
def test_metadata_link_local_multicast_and_reserved_addresses_are_always_refused(ip):
    assert STRICT.address_refusal(ip) and LOCAL_OK.address_refusal(ip)


@pytest.mark.parametrize("ip", OUTSIDE)
def test_internet_addresses_are_allowed(ip):
    assert STRICT.address_refusal(ip) is None


def test_host_names_metadata_always_local_names_only_with_the_setting():
    for name in (
        "metadata.google.internal",
        "METADATA.Google.Internal.",
        "metadata.goog",
        "metadata",
        "instance-data.ec2.internal",
    ):
        assert "metadata" in STRICT.host_refusal(name) and "metadata" in LOCAL_OK.host_refusal(name)
    for name in (
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "printer.local",
        "db.internal",
        "nas.home.arpa",
        "intranet-gw",
        "[::1]",
        "127.0.0.1",
    ):
        assert STRICT.host_refusal(name), name
        assert LOCAL_OK.host_refusal(name) is None and LOCAL_OK.is_local(name), name
    for name in ("cc.example.com", "api.surveymonkey.com", "8.8.8.8"):
        assert STRICT.host_refusal(name) is None and not LOCAL_OK.is_local(name)


def test_urls_lazo_stores_are_http_without_credentials_and_vetted_hosts():
    assert url_problem("https://cc.example.com/hook?x=1", STRICT) is None
    assert "credentials" in url_problem("https://user:pass@cc.example.com/hook", LOCAL_OK)
    assert "credentials" in url_problem("https://token@cc.example.com/hook", LOCAL_OK)
    assert "http" in url_problem("ftp://cc.example.com/", LOCAL_OK)
    assert "http" in url_problem("file:///etc/passwd", LOCAL_OK)
    assert url_problem("http://169.254.169.254/latest/meta-data/", LOCAL_OK)
    assert url_problem("http://[::1]:8080/x", STRICT) and url_problem("http://[::1]:8080/x", LOCAL_OK) is None


def test_a_base_url_is_an_origin_only():
    assert origin_problem("https://api.surveymonkey.com") is None
    assert origin_problem("https://api.surveymonkey.com/") is None
    for bad, word in [
        ("https://api.surveymonkey.com?", "query"),
        ("https://evil.com/x?", "query"),
        ("https://api.surveymonkey.com/?u=http://evil", "query"),
        ("https://a.com#", "fragment"),
        ("https://a.com/#frag", "fragment"),
        ("https://a.com/v3", "path"),
        ("https://a.com/..%2f", "path"),
        ("https://u:p@a.com", "credentials"),
    ]:
        assert word in origin_problem(bad), bad


def test_joined_paths_stay_paths_whatever_the_ids_hold():
    base = "https://api.surveymonkey.com"
    assert join_url(base, "v3", "surveys", "123", "details") == "https://api.surveymonkey.com/v3/surveys/123/details"
    assert join_url(base + "/", "v3", "a/b?c=d#e%f") == "https://api.surveymonkey.com/v3/a%2Fb%3Fc%3Dd%23e%25f"
    assert join_url("http://[::1]:8080", "x") == "http://[::1]:8080/x"
    for segments in [("v3", ".."), ("v3", "."), ("v3", "")]:
        with pytest.raises(UnsafePath):
            join_url(base, *segments)
    for bad_base in [
        "https://evil.example/?",
        "https://api.surveymonkey.com#",
        "https://u:p@api.surveymonkey.com",
        "https://api.surveymonkey.com/prefix",
    ]:
        with pytest.raises(UnsafePath):
            join_url(bad_base, "v3")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.surveymonkey.com",
        "https://api.eu.surveymonkey.com/",
        "https://api.surveymonkey.ca",
        "https://API.SurveyMonkey.com",
    ],
)
def test_surveymonkey_data_centres_are_its_api_hosts(url):
    assert base_url_problem(PLATFORMS["surveymonkey"], url, STRICT) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://fra1.qualtrics.com",
        "https://iad1.qualtrics.com",
        "https://acme.ca1.qualtrics.com",
        "https://gov1.qualtrics.com/",
    ],
)
def test_qualtrics_data_centres_and_organisation_hosts_are_accepted(url):
    assert base_url_problem(PLATFORMS["qualtrics"], url, STRICT) is None


@pytest.mark.parametrize(
    "platform,url,word",
    [
        ("surveymonkey", "https://evil.example.com", "not a surveymonkey API host"),
        ("surveymonkey", "https://api.surveymonkey.com.evil.example", "not a surveymonkey API host"),
        ("surveymonkey", "http://api.surveymonkey.com", "https"),
        ("surveymonkey", "https://api.surveymonkey.com?x=", "query"),
        ("surveymonkey", "https://api.surveymonkey.com/v3/surveys/x", "path"),
        ("qualtrics", "https://qualtrics.com", "not a qualtrics API host"),
        ("qualtrics", "https://a.b.fra1.qualtrics.com", "not a qualtrics API host"),
        ("qualtrics", "https://fra1.qualtrics.com.evil.example", "not a qualtrics API host"),
        ("qualtrics", "https://fra1.qualtrics.com#x", "fragment"),
        ("qualtrics", "https://me:pw@fra1.qualtrics.com", "credentials"),
        ("qualtrics", "http://127.0.0.1:8080", "not a qualtrics API host"),
        ("qualtrics", "http://169.254.169.254", "not a qualtrics API host"),
    ],
)
def test_other_api_base_urls_are_refused(platform, url, word):
    assert word in base_url_problem(PLATFORMS[platform], url, STRICT)


def test_a_local_api_server_is_accepted_only_with_private_targets_allowed():
    for url in ("http://127.0.0.1:8080", "http://localhost:9000", "https://10.0.0.5"):
        assert base_url_problem(PLATFORMS["qualtrics"], url, LOCAL_OK) is None
        assert base_url_problem(PLATFORMS["qualtrics"], url, STRICT)
    assert base_url_problem(PLATFORMS["qualtrics"], "http://169.254.169.254", LOCAL_OK)
    assert base_url_problem(PLATFORMS["qualtrics"], "http://127.0.0.1:8080/?", LOCAL_OK)


def test_public_names_known_to_answer_inward_are_judged_without_dns():
    for name in (
        "localtest.me",
        "app.localtest.me",
        "lvh.me",
        "127.0.0.1.nip.io",
        "app.10.0.0.1.nip.io",
        "app-192-168-1-1.sslip.io",
    ):
        assert STRICT.host_refusal(name), name
        assert LOCAL_OK.host_refusal(name) is None, name
    assert "metadata" in LOCAL_OK.host_refusal("169.254.169.254.nip.io")
    assert STRICT.host_refusal("8.8.8.8.nip.io") is None and STRICT.host_refusal("cc.nip.io") is None
