"""Settings read the environment strictly, and production settings pass Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_rate, env_str

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_booleans_accept_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("LUOSHI_FLAG", raw)
    assert env_bool("LUOSHI_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["treu", "2", "enabled"])
def test_a_malformed_boolean_is_an_error_not_a_default(monkeypatch, raw):
    monkeypatch.setenv("LUOSHI_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="LUOSHI_FLAG"):
        env_bool("LUOSHI_FLAG", False)


def test_a_malformed_number_is_an_error(monkeypatch):
    monkeypatch.setenv("LUOSHI_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("LUOSHI_N", 1)
    monkeypatch.setenv("LUOSHI_N", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("LUOSHI_N", 1, minimum=0)


def test_unset_values_fall_back_and_required_ones_fail(monkeypatch):
    monkeypatch.delenv("LUOSHI_UNSET", raising=False)
    assert env_str("LUOSHI_UNSET", "x") == "x"
    assert env_list("LUOSHI_UNSET", ["a"]) == ["a"]
    with pytest.raises(ImproperlyConfigured, match="required"):
        env_str("LUOSHI_UNSET", required=True)
    monkeypatch.setenv("LUOSHI_UNSET", " a, ,b ")
    assert env_list("LUOSHI_UNSET", []) == ["a", "b"]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # starts manage.py in a process of its own
def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = _manage("check", DJANGO_SETTINGS_MODULE="config.settings.production", LUOSHI_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.slow  # starts manage.py in a process of its own
def test_production_settings_pass_the_deploy_checks(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="x7$k2!p9-" + "q" * 50 + "-Zr8&m",
        DJANGO_ALLOWED_HOSTS="luoshi.example.org",
        LUOSHI_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # starts manage.py in a process of its own
def test_a_bad_database_url_is_reported(tmp_path):
    result = _manage("check", DATABASE_URL="mysql://nope", LUOSHI_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "Unsupported database engine" in result.stderr or "DATABASE_URL" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("30/min", "30/min"), (" 5/s ", "5/s"), ("1000/day", "1000/day")])
def test_a_throttle_rate_is_a_number_per_period(monkeypatch, raw, expected):
    monkeypatch.setenv("LUOSHI_RATE", raw)
    assert env_rate("LUOSHI_RATE", "1/min") == expected


@pytest.mark.parametrize("raw", ["30", "30/fortnight", "0/min", "-1/min", "ten/min", "30/ min"])
def test_a_malformed_throttle_rate_is_an_error(monkeypatch, raw):
    monkeypatch.setenv("LUOSHI_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="LUOSHI_RATE"):
        env_rate("LUOSHI_RATE", "1/min")


def _print_setting(name: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LUOSHI_", "REDIS_URL"))}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.dev")
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow  # reads the settings in a process of its own
def test_the_redis_broker_redelivers_a_dead_workers_job_after_the_configured_visibility_timeout(tmp_path):
    result = _print_setting("CELERY_BROKER_TRANSPORT_OPTIONS", REDIS_URL="redis://127.0.0.1:6379/9",
                            LUOSHI_BROKER_VISIBILITY_TIMEOUT="900", LUOSHI_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'visibility_timeout': 900}"


@pytest.mark.slow  # reads the settings in a process of its own
@pytest.mark.parametrize("name", ["LUOSHI_ROUND_OPEN_STALL_SECONDS", "LUOSHI_ROUND_OPEN_SWEEP_SECONDS",
                                  "LUOSHI_EVALUATION_STALL_SECONDS", "LUOSHI_BROKER_VISIBILITY_TIMEOUT"])
def test_a_malformed_job_timing_stops_the_process(tmp_path, name):
    result = _print_setting("ROUND_OPEN_STALL_SECONDS", **{name: "5m"}, LUOSHI_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert f"{name}='5m' is not a whole number" in result.stderr


def test_a_choice_is_one_of_its_values_in_any_case(monkeypatch):
    monkeypatch.delenv("LUOSHI_CHOICE", raising=False)
    assert env_choice("LUOSHI_CHOICE", "none", ("none", "starttls", "ssl")) == "none"
    monkeypatch.setenv("LUOSHI_CHOICE", " STARTTLS ")
    assert env_choice("LUOSHI_CHOICE", "none", ("none", "starttls", "ssl")) == "starttls"
    monkeypatch.setenv("LUOSHI_CHOICE", "tls")
    with pytest.raises(ImproperlyConfigured, match="LUOSHI_CHOICE='tls' is not one of none, starttls, ssl"):
        env_choice("LUOSHI_CHOICE", "none", ("none", "starttls", "ssl"))


@pytest.mark.slow  # reads the settings in a process of its own
def test_smtp_comes_from_the_environment_and_the_demo_writes_mail_to_files(tmp_path):
    smtp = _print_setting("EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_USE_SSL",
                          LUOSHI_EMAIL_HOST="smtp.example.gov.cn", LUOSHI_EMAIL_SECURITY="ssl",
                          LUOSHI_DATA_DIR=str(tmp_path))
    assert smtp.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.gov.cn", "True"], \
        smtp.stderr
    demo = _print_setting("EMAIL_FILE_PATH", LUOSHI_DATA_DIR=str(tmp_path))
    assert demo.stdout.strip() == str(tmp_path / "mail"), demo.stderr
    bad = _print_setting("EMAIL_USE_SSL", LUOSHI_EMAIL_SECURITY="tls", LUOSHI_DATA_DIR=str(tmp_path))
    assert bad.returncode != 0 and "LUOSHI_EMAIL_SECURITY='tls' is not one of" in bad.stderr


@pytest.mark.slow  # reads the settings in a process of its own
def test_the_delivery_lease_is_configurable_but_never_shorter_than_twice_a_channels_timeout(tmp_path):
    def lease(**env: str) -> subprocess.CompletedProcess:
        return _print_setting("DELIVERY_LEASE_SECONDS", LUOSHI_DATA_DIR=str(tmp_path), **env)

    assert lease().stdout.strip() == "600"
    short = lease(LUOSHI_DELIVERY_LEASE_SECONDS="3", LUOSHI_WEBHOOK_TIMEOUT_SECONDS="1",
                  LUOSHI_EMAIL_TIMEOUT_SECONDS="1")
    assert short.stdout.strip() == "3", short.stderr
    too_short = lease(LUOSHI_DELIVERY_LEASE_SECONDS="20")  # the timeouts' default: 10 s
    assert too_short.returncode != 0
    assert "LUOSHI_DELIVERY_LEASE_SECONDS=20 must be more than twice the longest channel timeout (10 s" \
        in too_short.stderr
    malformed = lease(LUOSHI_DELIVERY_LEASE_SECONDS="10m")
    assert malformed.returncode != 0 and "LUOSHI_DELIVERY_LEASE_SECONDS='10m' is not a whole number" in malformed.stderr
