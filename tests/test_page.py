"""The search page: its files through TestClient, then the whole flow in headless Chromium against a real uvicorn."""

from __future__ import annotations

import os
import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api.local_server import CHROMIUM, CHROMIUM_ARGS, running_server
from api.main import create_app
from api.routers.page import STATIC_DIR
from retriever import Retriever

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # only the browser tests need it; they skip below
    sync_playwright = None

EN_QUESTION = "How many households did Tumed Right Banner lift out of poverty?"
ZH_QUESTION = "土默特右旗有多少户贫困户脱贫？"


@pytest.fixture(scope="module")
def client(searcher, settings):
    with TestClient(create_app(settings, retriever=Retriever(searcher))) as client:
        yield client


def test_index_is_a_chinese_page_using_local_assets(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert re.search(r'<html lang="zh', response.text)
    assert 'src="/static/app.js"' in response.text and 'href="/static/style.css"' in response.text


@pytest.mark.parametrize(("name", "content_type"), [("app.js", "text/javascript"), ("style.css", "text/css")])
def test_assets_are_served_from_static(client, name, content_type):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["cache-control"] == "no-cache" and response.headers["etag"]


def test_static_files_name_no_external_url():
    files = sorted(STATIC_DIR.iterdir())
    assert {path.name for path in files} == {"index.html", "app.js", "style.css"}
    for path in files:
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path.name


def test_page_stays_out_of_the_api_schema(client):
    assert "/" not in client.get("/openapi.json").json()["paths"]


def _browser_unavailable() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: install Debian's chromium package"
    if sync_playwright is None:
        return "the playwright package is missing: pip install playwright"
    return None


@pytest.fixture(scope="module")
def base_url(searcher, settings):
    with running_server(create_app(settings, retriever=Retriever(searcher))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    reason = _browser_unavailable()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    script_errors = []
    page.on("pageerror", lambda error: script_errors.append(error))
    yield page
    context.close()
    assert not script_errors, script_errors


def ask(page: Page, question: str) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill(question)
    page.keyboard.press("Enter")
    expect(page.locator("#results[aria-busy=false] h2").first).to_be_visible()


@pytest.mark.parametrize("question", [EN_QUESTION, ZH_QUESTION], ids=["english", "chinese"])
def test_question_shows_answer_expansion_and_evidence(page, question, tmp_path):
    ask(page, question)
    expect(page.locator(".answer-card .answer-text")).to_contain_text("268户")
    expect(page.locator(".expansion")).to_contain_text(re.compile("土默特右旗|土右旗"))
    passages = page.locator(".passage")
    assert passages.count() > 0
    for i in range(passages.count()):
        expect(passages.nth(i).locator("h3")).not_to_be_empty()
        expect(passages.nth(i).locator("a.doc-link")).to_have_attribute("href", re.compile(r"^/\?doc="))
    assert page.url.endswith("/?" + urlencode({"q": question}))
    page.screenshot(path=tmp_path / "answer.png", full_page=True)


def test_document_link_shows_the_passage_in_place_and_leads_back(page, tmp_path):
    ask(page, ZH_QUESTION)
    page.locator("a.doc-link").first.click()
    passage = page.locator("#document mark.passage").first
    expect(passage).to_be_in_viewport()
    assert "doc=" in page.url and "passage=" in page.url
    page.screenshot(path=tmp_path / "document.png")
    page.get_by_role("link", name="返回结果").click()
    expect(page.locator(".answer-text")).to_contain_text("268户")
    page.go_forward()
    expect(page.locator("#document mark.passage").first).to_be_visible()


def test_a_linked_query_runs_on_load_and_the_back_button_returns(page):
    page.goto("/?" + urlencode({"q": ZH_QUESTION}))
    expect(page.locator(".answer-text")).to_contain_text("268户")
    expect(page.get_by_role("searchbox")).to_have_value(ZH_QUESTION)
    ask(page, "阿拉善盟现有建档立卡脱贫户多少户？")
    expect(page.locator(".answer-text")).to_contain_text("3906户")
    page.go_back()
    expect(page.get_by_role("searchbox")).to_have_value("")
    page.go_back()
    expect(page.locator(".answer-text")).to_contain_text("268户")


def test_english_toggle_switches_and_is_remembered(page):
    page.goto("/")
    submit = page.locator("#search-form button[type=submit]")
    expect(submit).to_have_text("搜索")
    page.get_by_role("button", name="English").click()
    expect(submit).to_have_text("Search")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(submit).to_have_text("Search")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_api_error_is_shown_readably(page):
    ask(page, "   ")
    expect(page.get_by_role("alert")).to_contain_text("422")
    expect(page.get_by_role("alert")).to_contain_text("must not be empty")


def test_phone_width_has_no_horizontal_scrolling(page, tmp_path):
    page.set_viewport_size({"width": 360, "height": 740})
    no_overflow = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ask(page, EN_QUESTION)
    assert page.evaluate(no_overflow)
    page.screenshot(path=tmp_path / "phone.png", full_page=True)
    page.locator("a.doc-link").first.click()
    expect(page.locator("#document mark.passage").first).to_be_in_viewport()
    assert page.evaluate(no_overflow)


def test_overload_shows_the_retry_delay(page):
    error = {"error": {"code": "overloaded", "message": "the server is busy; retry in 2 s"}}
    page.route("**/ask", lambda route: route.fulfill(status=503, headers={"Retry-After": "2"}, json=error))
    ask(page, ZH_QUESTION)
    expect(page.get_by_role("alert")).to_contain_text("503")
    expect(page.get_by_role("alert")).to_contain_text("请在 2 秒后重试")


def test_only_marks_from_the_api_become_markup(page):
    body = {
        "question": "q",
        "kind": "other",
        "answer": "<b>bold?</b>",
        "confidence": 0.5,
        "confident": False,
        "sentence": "s",
        "highlight": "a <mark>hit</mark> <img src=x onerror=alert(1)>",
        "expansion": {"places": [], "translations": []},
        "evidence": [],
        "took_ms": 1.0,
    }
    page.route("**/ask", lambda route: route.fulfill(json=body))
    ask(page, "q")
    expect(page.locator(".answer-text")).to_have_text("<b>bold?</b>")
    expect(page.locator(".basis mark")).to_have_text("hit")
    assert page.locator("#results b, #results img").count() == 0


def _answer_body(answer: str | None, confidence: float, confident: bool) -> dict:
    return {
        "question": "q",
        "index": "i",
        "kind": "quantity",
        "answer": answer,
        "confidence": confidence,
        "confident": confident,
        "sentence": "全村共有120人参加培训。",
        "highlight": "全村共有120人<mark>参加培训</mark>。",
        "expansion": {"places": [], "translations": []},
        "evidence": [],
        "took_ms": 1.0,
    }


def test_without_an_answer_the_card_shows_the_evidence_sentence_and_no_answer(page):
    page.route("**/ask", lambda route: route.fulfill(json=_answer_body(None, 0.1, False)))
    ask(page, "q")
    expect(page.locator(".no-answer")).to_be_visible()
    expect(page.locator(".answer-text")).to_have_count(0)
    expect(page.locator(".basis mark")).to_have_text("参加培训")


def test_an_unsure_answer_says_to_check_the_evidence_and_a_confident_one_does_not(page):
    page.route("**/ask", lambda route: route.fulfill(json=_answer_body("120人", 0.5, False)))
    ask(page, "q")
    expect(page.locator(".answer-text")).to_have_text("120人")
    expect(page.locator(".unsure")).to_be_visible()
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.fulfill(json=_answer_body("120人", 0.9, True)))
    ask(page, "q2")
    expect(page.locator(".answer-text")).to_have_text("120人")
    expect(page.locator(".unsure")).to_have_count(0)


def test_filters_narrow_the_evidence_and_travel_with_the_links(page):
    page.goto("/")
    page.get_by_role("searchbox").fill(ZH_QUESTION)
    page.locator("#source").fill("四川人大网")
    page.keyboard.press("Enter")
    expect(page.locator("#results[aria-busy=false] h2").first).to_be_visible()
    assert "source=" in page.url
    links = page.locator("a.doc-link")
    assert links.count() > 0
    for i in range(links.count()):
        expect(links.nth(i)).to_have_attribute("href", re.compile(r"doc=003_761d59348c6a58d7.*source="))
    links.first.click()
    page.get_by_role("link", name="返回结果").click()
    expect(page.locator("#source")).to_have_value("四川人大网")
    page.locator("#source").fill("")
    page.locator("#date_from").fill("2021-01-01")
    page.get_by_role("searchbox").press("Enter")
    expect(page.locator("a.doc-link").first).to_have_attribute("href", re.compile(r"doc=001_5f5234b825648131"))
