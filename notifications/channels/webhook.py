"""Webhooks: a generic signed JSON POST, and the group robots of DingTalk and WeCom. One ``urllib`` POST each, with
a short timeout, outside any transaction.

Errors: an HTTP 4xx other than 408 and 429 (a URL that is gone, a robot that refuses its token) is permanent; 408,
429, 5xx and network errors are retried. The robots answer 200 with ``errcode``: 0 is sent, a rate limit or a busy
server is retried, any other code (a bad token or signature, a removed robot) is permanent.

**Generic webhook.** Body: JSON ``{"id", "idempotency_key", "kind", "level", "title", "body", "url",
"created_at"}``. Headers: ``Idempotency-Key: <delivery id>``, ``X-Luoshi-Timestamp: <unix seconds>`` and
``X-Luoshi-Signature: sha256=<hex>`` — HMAC-SHA256, keyed by the endpoint's secret, of ``timestamp + "." + body``
(the raw bytes). A receiver recomputes it, compares in constant time and refuses old timestamps.

**DingTalk** (自定义机器人, 加签): ``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" +
secret)))`` with ``timestamp`` in milliseconds, both appended to the robot's URL as query parameters; body
``{"msgtype": "markdown", "markdown": {"title", "text"}}``. Without a secret (a robot secured by keywords or IP), no
signature.

**WeCom** (群机器人): body ``{"msgtype": "markdown", "markdown": {"content"}}`` to the robot's URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from django.conf import settings

from notifications.channels import ChannelError
from notifications.channels.text import link, markdown

if TYPE_CHECKING:
    from notifications.models import Delivery, Endpoint

#: Robot error codes worth another try: DingTalk's "system busy" and "sending too fast", WeCom's rate limits.
ROBOT_TRANSIENT = frozenset({-1, 130101, 45009, 45033})


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The generic webhook's signature: ``sha256=`` + hex HMAC-SHA256 of ``timestamp.body``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """DingTalk's documented 加签: base64 of HMAC-SHA256(secret, timestamp + "\\n" + secret), not yet URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    """POST ``body``; the answer's bytes on 2xx, ``ChannelError`` otherwise (see the module's rule)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ChannelError(f"not an http(s) URL: {url!r}", permanent=True)
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **headers})
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.read(65536)
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
        raise ChannelError(f"HTTP {exc.code} from {urllib.parse.urlsplit(url).netloc}", permanent=permanent) \
            from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, unreachable, timed out
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc


def _robot_answer(answer: bytes) -> None:
    try:
        data: Any = json.loads(answer or b"{}")
    except ValueError:
        return  # a 2xx without JSON: taken
    code = data.get("errcode", 0) if isinstance(data, dict) else 0
    if code:
        raise ChannelError(f"robot errcode {code}: {data.get('errmsg', '')}", permanent=code not in ROBOT_TRANSIENT)


def _address(endpoint: Endpoint | None) -> str:
    if endpoint is None or not endpoint.address:
        raise ChannelError("no URL", permanent=True)
    return endpoint.address


class WebhookChannel:
    name = "webhook"

    def payload(self, delivery: Delivery) -> bytes:
        notification = delivery.notification
        return json.dumps({
            "id": delivery.pk, "idempotency_key": str(delivery.pk), "kind": notification.kind,
            "level": notification.level, "title": notification.title, "body": notification.body,
            "url": link(notification), "created_at": notification.created_at.isoformat(),
        }, ensure_ascii=False).encode()

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        url, body = _address(endpoint), self.payload(delivery)
        timestamp = str(int(time.time()))
        headers = {"Idempotency-Key": str(delivery.pk), "X-Luoshi-Timestamp": timestamp}
        if endpoint is not None and endpoint.secret:
            headers["X-Luoshi-Signature"] = webhook_signature(endpoint.secret, timestamp, body)
        _post(url, body, headers)


class DingTalkChannel:
    name = "dingtalk"

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        url = _address(endpoint)
        if endpoint is not None and endpoint.secret:
            timestamp = str(round(time.time() * 1000))
            query = urllib.parse.urlencode({"timestamp": timestamp, "sign": dingtalk_sign(endpoint.secret, timestamp)})
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        notification = delivery.notification
        body = json.dumps({"msgtype": "markdown", "markdown": {"title": notification.title[:64],
                                                                "text": markdown(notification)}},
                          ensure_ascii=False).encode()
        _robot_answer(_post(url, body, {"Idempotency-Key": str(delivery.pk)}))


class WeComChannel:
    name = "wecom"

    def send(self, delivery: Delivery, endpoint: Endpoint | None) -> None:
        body = json.dumps({"msgtype": "markdown", "markdown": {"content": markdown(delivery.notification)}},
                          ensure_ascii=False).encode()
        _robot_answer(_post(_address(endpoint), body, {"Idempotency-Key": str(delivery.pk)}))
