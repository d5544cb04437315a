"""A resume PDF uploaded with createCandidate (GraphQL multipart request) reaches Gemini as
inline data, and bad files are refused by field."""

import base64
from typing import Any

import httpx
import orjson

from tests.fakes.gemini import FakeGemini
from tests.graph.interviews.conftest import Api, recruiter
from tests.graph.interviews.documents import CREATE_CANDIDATE

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def upload_candidate(
    api: Api, token: str, data: bytes, *, preflight: bool = True
) -> httpx.Response:
    variables = {"input": {"name": "Ada Obi", "email": "ada@example.com", "resumePdf": None}}
    headers = {"Authorization": f"Bearer {token}"}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await api.http.post(
        "/graphql",
        data={
            "operations": orjson.dumps(
                {"query": CREATE_CANDIDATE, "variables": variables}
            ).decode(),
            "map": orjson.dumps({"0": ["variables.input.resumePdf"]}).decode(),
        },
        files={"0": ("resume.pdf", data, "application/pdf")},
        headers=headers,
    )


async def test_a_pdf_resume_is_sent_to_gemini_as_inline_data(
    fake_api: Api, fake_gemini: FakeGemini, org: str
) -> None:
    response = await upload_candidate(fake_api, recruiter(org), PDF)
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    candidate = body["data"]["createCandidate"]
    assert candidate["hasResumePdf"] is True
    assert candidate["profile"] is not None
    sent = [
        part["inlineData"]
        for request in fake_gemini.generate_requests()
        for content in request.get("contents", [])
        for part in content.get("parts", [])
        if "inlineData" in part
    ]
    assert sent, "no inline data reached Gemini"
    # google-genai writes the blob's fields in snake case; the API accepts both spellings.
    assert sent[-1]["mime_type"] == "application/pdf"
    encoded = sent[-1]["data"]  # url-safe base64, unpadded, as the SDK sends bytes
    assert base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)) == PDF


async def test_a_file_that_is_not_a_pdf_is_bad_user_input(offline_api: Api, org: str) -> None:
    response = await upload_candidate(offline_api, recruiter(org), b"just text, not a pdf")
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "resumePdf"}


async def test_a_resume_upload_needs_the_preflight_header(offline_api: Api, org: str) -> None:
    response = await upload_candidate(offline_api, recruiter(org), PDF, preflight=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
