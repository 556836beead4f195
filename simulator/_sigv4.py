"""AWS Signature Version 4 by botocore's signer (the optional extra `hooksim[aws]`).

Nothing here computes a signature: canonical request, string to sign, key derivation and the
header or query it ends in are botocore's (`SigV4Auth`, `SigV4QueryAuth`). Two things are the
platform's own:

- the time. botocore's `add_auth` reads the wall clock; a delivery is signed at the platform
  clock's time (virtual runs stay deterministic), so these signers take the timestamp and run
  the same steps `add_auth` runs, in the same order, with it.
- the body. `SigV4QueryAuth` moves a request body into the query string (presigned AWS query
  APIs); a webhook keeps its JSON body, and the signature covers it (its SHA-256 is the
  payload hash), so the body is set aside while the query parameters are written.

Importing this module imports botocore (ImportError when it is not installed).
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

__all__ = ["QUERY_EXPIRES", "sign_request"]

#: X-Amz-Expires of a query-signed delivery: how long a receiver may accept it.
QUERY_EXPIRES = 300


class _AtTime:
    """`add_auth` as botocore runs it, at `self.timestamp` instead of the wall clock's time."""

    timestamp: str

    def add_auth(self, request: AWSRequest) -> None:
        signer: SigV4Auth = self  # type: ignore[assignment]
        request.context["timestamp"] = self.timestamp
        signer._modify_request_before_signing(request)
        canonical_request = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical_request)
        signature = signer.signature(string_to_sign, request)
        signer._inject_signature_to_request(request, signature)


class _ClockedSigV4Auth(_AtTime, SigV4Auth):
    def __init__(self, credentials: Credentials, service: str, region: str, timestamp: str) -> None:
        super().__init__(credentials, service, region)
        self.timestamp = timestamp


class _ClockedSigV4QueryAuth(_AtTime, SigV4QueryAuth):
    def __init__(self, credentials: Credentials, service: str, region: str, timestamp: str) -> None:
        super().__init__(credentials, service, region, expires=QUERY_EXPIRES)
        self.timestamp = timestamp

    def _modify_request_before_signing(self, request: AWSRequest) -> None:
        # Keep the JSON body as the body: SigV4QueryAuth would move it into the query.
        body, request.data = request.data, b""
        try:
            super()._modify_request_before_signing(request)
        finally:
            request.data = body


def sign_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    service: str,
    timestamp: str,
    query: bool = False,
) -> tuple[str, dict[str, str]]:
    """Sign a request at `timestamp` (`20150830T123600Z`); answer its URL and headers.

    Header signing adds `X-Amz-Date` (and `X-Amz-Security-Token`) and `Authorization`; query
    signing adds the `X-Amz-*` parameters to the URL and leaves the headers as they are.
    """
    credentials = Credentials(access_key, secret_key, token)
    signer_class = _ClockedSigV4QueryAuth if query else _ClockedSigV4Auth
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    signer_class(credentials, service, region, timestamp).add_auth(request)
    return request.url, dict(request.headers.items())
