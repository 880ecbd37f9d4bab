"""Request schemas, email normalisation and the 422 summary that never echoes input."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netra_backend.app.auth.schemas import LoginRequest, RegisterRequest
from netra_backend.app.auth.users import normalize_email
from netra_backend.app.http_errors import validation_summary
from netra_backend.app.plans import Subscription

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        ("  bob@example.com\t", "bob@example.com"),
        ("CAROL@EXAMPLE.COM", "carol@example.com"),
    ],
)
def test_normalize_email_trims_and_lowercases(given: str, stored: str) -> None:
    assert normalize_email(given) == stored


def test_register_request_defaults_to_the_free_subscription() -> None:
    body = RegisterRequest.model_validate({"email": "a@example.com", "password": "x" * 8})
    assert body.subscription == "free"


def test_register_request_accepts_every_subscription_tier() -> None:
    for tier in Subscription:
        body = {"email": "a@example.com", "password": "x" * 8, "subscription": tier}
        assert RegisterRequest.model_validate(body).subscription == tier


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope", "password": "x" * 8}, "email"),
        ({"email": "a@example.com", "password": "x" * 7}, "password"),
        ({"email": "a@example.com", "password": "x" * 257}, "password"),
        ({"email": "a@example.com", "password": "x" * 8, "subscription": "gold"}, "subscription"),
    ],
)
def test_register_request_rejects_bad_fields(body: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate(body)
    message, fields = validation_summary(caught.value.errors())
    assert fields == [field]
    assert message.startswith(f"{field}: ")


@pytest.mark.parametrize("password", ["Sh0rt!", "L" * 300, 12345678])
def test_validation_summary_never_contains_the_submitted_password(password: object) -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate({"email": "a@example.com", "password": password})
    errors = caught.value.errors()
    assert any(str(password) in str(error.get("input")) for error in errors)  # pydantic would
    message, _ = validation_summary(errors)
    assert str(password) not in message


def test_validation_summary_names_every_missing_field() -> None:
    with pytest.raises(ValidationError) as caught:
        LoginRequest.model_validate({})
    message, fields = validation_summary(caught.value.errors())
    assert fields == ["email", "password"]
    assert message == "email: is required; password: is required"
