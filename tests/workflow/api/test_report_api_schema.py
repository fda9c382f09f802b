"""The OpenAPI schema of the reporting-loop API is valid and generates without a warning of its own."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_of_the_workflow_api_is_valid_and_free_of_warnings() -> None:
    reset_generator_stats()
    generator = SchemaGenerator(patterns=[path("api/", include("workflow.api.urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned about the workflow API (see stderr)"
    validate_schema(schema)
    assert set(schema["paths"]) == {
        "/api/rounds/", "/api/rounds/{id}/", "/api/rounds/{id}/close/", "/api/inbox/", "/api/inbox/counts/",
        "/api/reports/",
        "/api/reports/{id}/", "/api/reports/{id}/submit/", "/api/reports/{id}/sign-off/",
        "/api/reports/{id}/approve/", "/api/reports/{id}/return/", "/api/reports/{id}/attachments/",
        "/api/reports/{id}/attachments/{attachment_id}/", "/api/reports/{id}/attachments/{attachment_id}/inline/",
        "/api/tasks/{id}/history/", "/api/me/",
    }
    components = schema["components"]["schemas"]
    assert components["ReportStatusEnum"]["enum"] == [
        "draft", "submitted", "signed_off", "waiting", "consolidating", "lead_sign_off", "in_review", "approved"]
    assert components["ReportStepEnum"]["enum"] == ["fill", "sign_off", "consolidate", "lead_sign_off", "review"]
    assert set(schema["paths"]["/api/rounds/"]["post"]["responses"]) >= {"200", "202", "400", "401", "403"}
    upload = schema["paths"]["/api/reports/{id}/attachments/"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
