"use strict";

const STRINGS = {
  zh: {
    htmlLang: "zh-CN",
    other: "en",
    toggle: "English",
    toggleLang: "en",
    skip: "跳到主要内容",
    heading: "中文检索问答",
    label: "问题",
    placeholder: "例如：土默特右旗有多少户贫困户脱贫？",
    submit: "搜索",
    hint: "可以用中文或英文提问；答案附有原文证据。",
    filters: "筛选（可选）",
    dateFrom: "起始日期",
    dateTo: "截止日期",
    sourcePlaceholder: "例如：四川人大网",
    searching: "正在检索……",
    loadingDocument: "正在加载全文……",
    found: "找到 {n} 条证据段落。",
    answer: "答案",
    noAnswer: "没有找到足够可信的答案。以下是最相关的段落。",
    unsure: "答案不确定，请核对下方证据。",
    kind: "类型",
    confidence: "置信度",
    basis: "依据",
    expansion: "查询扩展",
    evidence: "证据段落",
    noEvidence: "没有找到相关段落。",
    date: "日期",
    source: "来源",
    section: "章节",
    openDocument: "查看全文",
    backToResults: "← 返回结果",
    backHome: "← 返回首页",
    failed: "请求失败（{status}）",
    unreachable: "无法连接到服务，请检查网络后重试。",
    retryAfter: "请在 {s} 秒后重试。",
    kinds: {
      quantity: "数量", person: "人物", place: "地点", time: "时间",
      organization: "机构", list: "列表", other: "其他",
    },
  },
  en: {
    htmlLang: "en",
    other: "zh",
    toggle: "中文",
    toggleLang: "zh-CN",
    skip: "Skip to main content",
    heading: "Chinese Search & Answers",
    label: "Question",
    placeholder: "e.g. How many households did Tumed Right Banner lift out of poverty?",
    submit: "Search",
    hint: "Ask in Chinese or English; every answer comes with its source passages.",
    filters: "Filters (optional)",
    dateFrom: "From",
    dateTo: "To",
    sourcePlaceholder: "e.g. 四川人大网",
    searching: "Searching…",
    loadingDocument: "Loading the document…",
    found: "Evidence passages found: {n}.",
    answer: "Answer",
    noAnswer: "No confident answer was found. The most relevant passages are below.",
    unsure: "This answer is uncertain: check it against the evidence below.",
    kind: "Kind",
    confidence: "Confidence",
    basis: "Evidence",
    expansion: "Query expansion",
    evidence: "Evidence passages",
    noEvidence: "No relevant passages were found.",
    date: "Date",
    source: "Source",
    section: "Section",
    openDocument: "Read the whole document",
    backToResults: "← Back to results",
    backHome: "← Back to the start page",
    failed: "Request failed ({status})",
    unreachable: "The service could not be reached; check the connection and try again.",
    retryAfter: "Please retry in {s} seconds.",
    kinds: {
      quantity: "quantity", person: "person", place: "place", time: "time",
      organization: "organization", list: "list", other: "other",
    },
  },
};

const $ = (id) => document.getElementById(id);
const form = $("search-form");
const input = $("q");
const statusLine = $("status");
const results = $("results");
const documentView = $("document");

const FILTER_FIELDS = ["date_from", "date_to", "source"];
let filters = {};

let lang = storedLanguage();
let redraw = () => {};
let lastAnswer = null;
let inflight = null;
let routed = null;

function storedLanguage() {
  try {
    return localStorage.getItem("lang") === "en" ? "en" : "zh";
  } catch {
    return "zh";
  }
}

const t = () => STRINGS[lang];
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((child) => child != null && child !== false));
  return node;
}

/* The API HTML-escapes highlights and adds only <mark>; rebuild them from text and <mark> regardless. */
function marked(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  const out = document.createDocumentFragment();
  for (const node of parsed.childNodes) {
    out.append(node.nodeName === "MARK" ? el("mark", null, node.textContent) : node.textContent);
  }
  return out;
}

function applyLanguage() {
  const strings = t();
  document.documentElement.lang = strings.htmlLang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = strings[node.dataset.i18n];
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = strings[node.dataset.i18nPlaceholder];
  }
  const toggle = $("lang-toggle");
  toggle.textContent = strings.toggle;
  toggle.lang = strings.toggleLang;
  redraw();
}

function show(draw) {
  redraw = draw;
  draw();
}

async function request(url, init) {
  if (inflight) inflight.abort();
  const controller = (inflight = new AbortController());
  let outcome;
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    const body = await response.json().catch(() => null);
    outcome = response.ok
      ? { ok: true, body }
      : {
          ok: false,
          status: response.status,
          message: (body && body.error && body.error.message) || response.statusText,
          retryAfter: response.headers.get("Retry-After"),
        };
  } catch {
    outcome = { ok: false, status: 0 };
  }
  if (controller.signal.aborted) return null;
  inflight = null;
  return outcome;
}

function setView(which, title) {
  document.title = title ? `${title} – ${t().heading}` : t().heading;
  results.hidden = which !== "results";
  documentView.hidden = which !== "document";
}

function drawLoading(key) {
  setView("results");
  statusLine.textContent = t()[key];
  results.setAttribute("aria-busy", "true");
  results.replaceChildren(el("div", { class: "loading", "aria-hidden": "true" }));
}

function drawError(failure) {
  setView("results");
  results.setAttribute("aria-busy", "false");
  statusLine.textContent = "";
  const strings = t();
  const box = failure.status
    ? el("div", { class: "error", role: "alert" },
        el("h2", null, fill(strings.failed, { status: failure.status })),
        el("p", null, failure.message),
        failure.retryAfter && el("p", null, fill(strings.retryAfter, { s: failure.retryAfter })))
    : el("div", { class: "error", role: "alert" }, el("p", null, strings.unreachable));
  results.replaceChildren(box);
}

function metaList(items) {
  const shown = items.filter(([, value]) => value);
  if (!shown.length) return null;
  return el("ul", { class: "meta" },
    ...shown.map(([label, value]) => el("li", null, el("span", { class: "meta-label" }, label), " ", value)));
}

const showDate = (date) => date && date.replace("T", " ");

function answerCard(body) {
  const strings = t();
  const card = el("section", { class: "card answer-card", "aria-labelledby": "answer-heading" },
    el("h2", { id: "answer-heading" }, strings.answer));
  const basis = body.highlight && el("figure", { class: "basis" },
    el("figcaption", null, strings.basis),
    el("blockquote", null, marked(body.highlight)));
  if (body.answer === null) {
    card.append(el("p", { class: "no-answer" }, strings.noAnswer), basis || "");
    return card;
  }
  card.append(
    el("p", { class: "answer-text" }, body.answer),
    body.confident ? "" : el("p", { class: "unsure" }, strings.unsure),
    metaList([
      [strings.kind, strings.kinds[body.kind] || body.kind],
      [strings.confidence, `${Math.round(body.confidence * 100)}%`],
    ]),
    basis || "",
  );
  return card;
}

function expansionBlock(expansion) {
  const lines = [
    ...expansion.places.map((p) => [p.mention, [...new Set([p.place, ...p.names])]]),
    ...expansion.translations.map((term) => [term.english, term.chinese]),
  ];
  if (!lines.length) return null;
  return el("section", { class: "expansion", "aria-labelledby": "expansion-heading" },
    el("h2", { id: "expansion-heading" }, t().expansion),
    el("ul", null, ...lines.map(([from, to]) =>
      el("li", null, el("span", { class: "from" }, from), " → ", el("span", { lang: "zh-CN" }, to.join(" / "))))));
}

/* The filters set in the form (or the address), without empty fields. */
function filtersFrom(source) {
  const found = {};
  for (const name of FILTER_FIELDS) {
    const value = (source.get(name) || "").trim();
    if (value) found[name] = value;
  }
  return found;
}

function showFilters() {
  for (const name of FILTER_FIELDS) $(name).value = filters[name] || "";
}

function documentHref(hit, question) {
  return "/?" + new URLSearchParams({ doc: hit.doc_id, passage: hit.passage_id, q: question, ...filters });
}

function evidenceBlock(evidence, question) {
  const strings = t();
  const section = el("section", { class: "evidence", "aria-labelledby": "evidence-heading" },
    el("h2", { id: "evidence-heading" }, strings.evidence));
  if (!evidence.length) {
    section.append(el("p", null, strings.noEvidence));
    return section;
  }
  section.append(el("ol", { class: "passages" }, ...evidence.map((hit, i) => {
    const titleId = `evidence-title-${i}`;
    return el("li", { class: "card passage" },
      el("h3", { id: titleId }, hit.title),
      metaList([[strings.date, showDate(hit.date)], [strings.source, hit.source], [strings.section, hit.section]]),
      el("p", { class: "highlight" }, marked(hit.highlight)),
      el("p", { class: "passage-text" }, hit.text),
      el("a", { class: "doc-link", href: documentHref(hit, question), "data-nav": "results",
                "aria-describedby": titleId }, strings.openDocument));
  })));
  return section;
}

function drawAnswer(body) {
  setView("results", body.question);
  results.setAttribute("aria-busy", "false");
  statusLine.textContent = fill(t().found, { n: body.evidence.length });
  results.replaceChildren(
    ...[answerCard(body), expansionBlock(body.expansion), evidenceBlock(body.evidence, body.question)].filter(Boolean));
}

async function runSearch(question) {
  input.value = question;
  showFilters();
  const key = JSON.stringify([question, filters]);
  if (lastAnswer && lastAnswer.key === key) return show(() => drawAnswer(lastAnswer.body));
  show(() => drawLoading("searching"));
  const asked = Object.keys(filters).length ? { question, filters } : { question };
  const outcome = await request("/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(asked),
  });
  if (!outcome) return;
  if (!outcome.ok) return show(() => drawError(outcome));
  lastAnswer = { key, body: outcome.body };
  show(() => drawAnswer(outcome.body));
}

function paragraphRanges(text) {
  const ranges = [];
  const gap = /\n\s*\n/g;
  let start = 0;
  for (let m; (m = gap.exec(text)); start = m.index + m[0].length) ranges.push([start, m.index]);
  ranges.push([start, text.length]);
  return ranges.filter(([a, b]) => text.slice(a, b).trim());
}

/* Each paragraph of the document, with the chosen passage's span wrapped in <mark class="passage">. */
function documentBody(doc, passage) {
  const [from, to] = passage ? [passage.start, passage.end] : [0, 0];
  return paragraphRanges(doc.text).map(([a, b]) => {
    const s = Math.min(Math.max(from, a), b);
    const e = Math.max(Math.min(to, b), s);
    return el("p", null,
      doc.text.slice(a, s),
      e > s && el("mark", { class: "passage" }, doc.text.slice(s, e)),
      doc.text.slice(e, b));
  });
}

function drawDocument(doc, passageId, question) {
  const strings = t();
  setView("document", doc.title);
  statusLine.textContent = "";
  const passage = doc.passages.find((p) => p.passage_id === passageId);
  const back = question === null
    ? el("a", { class: "back", href: "/", "data-nav": "" }, strings.backHome)
    : el("a", { class: "back", href: "/?" + new URLSearchParams({ q: question, ...filters }), "data-nav": "back" },
        strings.backToResults);
  const heading = el("h2", { tabindex: "-1" }, doc.title);
  documentView.replaceChildren(
    el("nav", null, back),
    el("article", { class: "card document" },
      heading,
      metaList([[strings.date, showDate(doc.date)], [strings.source, doc.source]]),
      el("div", { class: "document-text" }, ...documentBody(doc, passage))),
  );
}

function focusDocument() {
  const heading = documentView.querySelector("h2");
  const mark = documentView.querySelector("mark.passage");
  heading.focus({ preventScroll: true });
  (mark || heading).scrollIntoView({ block: mark ? "center" : "start" });
}

async function runDocument(docId, passageId, question) {
  show(() => drawLoading("loadingDocument"));
  const path = docId.split("/").map(encodeURIComponent).join("/");
  const outcome = await request(`/documents/${path}`);
  if (!outcome) return;
  if (!outcome.ok) return show(() => drawError(outcome));
  show(() => drawDocument(outcome.body, passageId, question));
  focusDocument();
}

function route() {
  routed = location.search;
  const params = new URLSearchParams(location.search);
  filters = filtersFrom(params);
  if (params.has("doc")) return runDocument(params.get("doc"), params.get("passage"), params.get("q"));
  if (params.has("q")) return runSearch(params.get("q"));
  if (inflight) inflight.abort();
  input.value = "";
  show(() => {
    setView("results");
    statusLine.textContent = "";
    results.replaceChildren();
  });
}

function navigate(search, state) {
  const url = search ? `/?${search}` : "/";
  if (location.pathname + location.search === url) history.replaceState(state, "", url);
  else history.pushState(state, "", url);
  route();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  lastAnswer = null;
  navigate(new URLSearchParams({ q: input.value, ...filtersFrom(new FormData(form)) }).toString(), null);
});

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  if (link.dataset.nav === "back" && history.state && history.state.fromResults) return history.back();
  navigate(new URL(link.href).search.slice(1), link.dataset.nav === "results" ? { fromResults: true } : null);
});

$("lang-toggle").addEventListener("click", () => {
  lang = t().other;
  try {
    localStorage.setItem("lang", lang);
  } catch {
    /* storage disabled: the choice lasts for this page only */
  }
  applyLanguage();
});

window.addEventListener("popstate", () => {
  if (location.search !== routed) route();
});
applyLanguage();
route();
