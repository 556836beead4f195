"""The AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30): hooksim's
signing path (botocore's signer at the platform clock's time) gives the published
Authorization headers byte for byte."""

from __future__ import annotations

import pytest
from hooksim.simulator._credentials import sigv4_timestamp
from hooksim.simulator._sigv4 import sign_request

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
WHEN = 1440938160.0  # 2015-08-30T12:36:00Z

# name: (method, headers, body, expected Authorization) from the suite's .req and .authz files
VECTORS = {
    "get-vanilla": (
        "GET", {}, b"",
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    ),
    "post-vanilla": (
        "POST", {}, b"",
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, "
        "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    ),
    "post-x-www-form-urlencoded": (
        "POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"Param1=value1",
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=content-type;host;x-amz-date, "
        "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    ),
}  # fmt: skip


@pytest.mark.clause("CRED-AWS-SIGV4")
@pytest.mark.parametrize("name", list(VECTORS))
def test_the_published_vectors_sign_byte_for_byte(name: str) -> None:
    method, headers, body, authorization = VECTORS[name]
    url, signed = sign_request(
        method=method,
        url="https://example.amazonaws.com/",
        headers=headers,
        body=body,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        token=None,
        region="us-east-1",
        service="service",
        timestamp=sigv4_timestamp(WHEN),
    )
    assert signed["Authorization"] == authorization
    assert signed["X-Amz-Date"] == "20150830T123600Z"
    assert url == "https://example.amazonaws.com/"


@pytest.mark.clause("CRED-AWS-SIGV4")
def test_query_signing_keeps_the_body_and_signs_its_hash() -> None:
    arguments = {
        "method": "POST",
        "url": "https://example.amazonaws.com/hook?b=2&a=1",
        "headers": {"Content-Type": "application/json"},
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "token": None,
        "region": "us-east-1",
        "service": "service",
        "timestamp": sigv4_timestamp(WHEN),
        "query": True,
    }
    url, headers = sign_request(body=b'{"a":1}', **arguments)
    other_url, _ = sign_request(body=b'{"a":2}', **arguments)
    assert headers == {"Content-Type": "application/json"}
    assert url.startswith(
        "https://example.amazonaws.com/hook?b=2&a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    )
    assert "X-Amz-Date=20150830T123600Z" in url and "X-Amz-Expires=300" in url
    assert url.split("X-Amz-Signature=")[1] != other_url.split("X-Amz-Signature=")[1]


def test_the_signing_time_is_the_given_one_not_the_wall_clocks() -> None:
    assert sigv4_timestamp(0.0) == "19700101T000000Z"
    assert sigv4_timestamp(WHEN + 0.999) == "20150830T123600Z"
