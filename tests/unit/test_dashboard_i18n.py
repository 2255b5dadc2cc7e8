"""The dashboard's catalogues (services/casework/dashboard/i18n/*.json) against the page's files:
same keys and placeholders in both languages, every key the page asks for present, no visible text
in index.html left outside the catalogue, and the API values the page names (statuses, reasons,
touchpoints, breaches) each with an entry. The browser test (tests/e2e/test_dashboard.py) checks
the rendered page in Spanish."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from shared.contracts.alerts import AlertRaised, AlertReason
from shared.i18n import translate
from services.casework.api.dashboard import CATALOGUES, LANGUAGES, STATIC
from services.casework.domain.case import Breach, CauseRequired, Status
from services.casework.domain.experiment import Conclusion
from services.casework.domain.kpis import UNASSIGNED
from services.casework.handlers import alert_note

APP_JS = (STATIC / "app.js").read_text(encoding="utf-8")
INDEX = (STATIC / "index.html").read_text(encoding="utf-8")
CATALOGUE = {lang: json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

# Text the page shows the same in both languages, on purpose: the product's name, the method's
# acronyms, the language switch itself, an icon.
SAME_IN_BOTH = {"Lazo", "NPS", "BAI", "ES", "EN", "✕", "—", "Español", "English"}
# Entries whose Spanish is rightly the same as the English.
SAME_ON_PURPOSE = {"unit.hours", "unit.days", "live.error", "experiment.control", "alerts.control"}


def forms(value) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else [value]


def test_both_catalogues_have_the_same_keys_forms_and_placeholders():
    en, es = CATALOGUE["en"], CATALOGUE["es"]
    assert sorted(en) == sorted(es), set(en) ^ set(es)
    for key, value in en.items():
        other = es[key]
        assert type(value) is type(other), key
        if isinstance(value, dict):  # plural forms, chosen by Intl.PluralRules
            assert set(value) == set(other) and "other" in value, key
        for text in forms(value) + forms(other):
            assert isinstance(text, str) and text.strip(), key
        assert {p for t in forms(value) for p in PLACEHOLDER.findall(t)} == {
            p for t in forms(other) for p in PLACEHOLDER.findall(t)
        }, key


def test_the_spanish_is_not_the_english():
    same = {k for k, v in CATALOGUE["en"].items() if v == CATALOGUE["es"][k]}
    assert same == SAME_ON_PURPOSE


def test_every_key_app_js_asks_for_is_in_the_catalogue():
    used = set(re.findall(r"""\btn?\(\s*["']([\w.]+)["']""", APP_JS))
    assert len(used) > 100  # the pattern still finds the calls
    assert used - set(CATALOGUE["en"]) == set(), "keys missing from i18n/en.json and es.json"


def test_the_english_the_page_recognises_is_caseworks():
    """The page words two of casework's English values itself: the owner of unowned cases in the
    KPIs, and the note on the alert that opened a case (its facts are shown from the alert instead)."""
    assert f'const UNASSIGNED = "{UNASSIGNED}";' in APP_JS
    alert = AlertRaised(
        alert_id="a-1",
        customer_id="C-1",
        program="default",
        response_id="r-1",
        iec=2.0,
        segment="nunca_mas",
        reasons=["comment"],
        raised_at="2026-11-20T10:00:00Z",
    )
    assert alert_note(alert).startswith("alert a-1:")
    assert ".startsWith(`alert ${e.alert_id}:`)" in APP_JS


def test_the_api_values_the_page_names_have_entries():
    """Keys the page builds from API values (`status.${status}`…): one per value the API can send."""
    touchpoints = re.search(r"const TOUCHPOINTS = \[(.*?)\];", APP_JS, re.S).group(1)
    reasons = {v for k, v in vars(AlertReason).items() if k.isupper()}
    wanted = (
        {f"status.{s}" for s in Status}
        | {f"due.{b}" for b in Breach}
        | {f"reason.{r}" for r in reasons}
        | {"experiment.treated", "experiment.control"}
        | {f"verdict.{c}" for c in Conclusion}
        | {f"touchpoint.{t}" for t in re.findall(r'"(\w+)"', touchpoints)}
    )
    assert len(reasons) >= 6 and len(wanted) > 25
    assert wanted - set(CATALOGUE["en"]) == set()


# Literals in app.js that hold words but need no catalogue: a segment's name (the method's own), the
# strict mode, CSS selectors and styles, and what only the console sees.
NOT_PROSE = re.compile(
    r"Nunca Más|use strict|[.\[][\w-]+( [\w-]+)*|.*\b(background|width|display):.*"
    r"|i18n/\$\{lang\}\.json: .*"
)


def test_app_js_says_nothing_outside_the_catalogue():
    """No phrase in a string literal of app.js (comments and console lines aside): words go
    through t(). A single word slips past this; the Spanish browser test catches those."""
    code = re.sub(r"/\*.*?\*/", "", APP_JS, flags=re.S)
    code = "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in code.splitlines())
    code = re.sub(r"console\.\w+\([^;]*\);", "", code)
    literals = [a or b for a, b in re.findall(r'"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`', code)]
    assert len(literals) > 300  # the pattern still finds them
    prose = [
        text
        for text in literals
        if re.search(r"[^\W\d_]{2,}[ ,:;]+[^\W\d_]{2,}", re.sub(r"\$\{[^}]*\}", " ", text))
        and not NOT_PROSE.fullmatch(text)
    ]
    assert prose == [], f"put these in i18n/en.json and es.json and show them with t(key): {prose}"


class _Page(HTMLParser):
    """index.html's visible text and readable attributes, each with whether a marker covers it."""

    ATTRS = ("placeholder", "title", "aria-label", "alt")
    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[dict] = []
        self.keys: set[str] = set()
        self.bare: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        marked_attrs = {}
        if spec := a.get("data-i18n-attr"):
            for pair in spec.split(";"):
                attr, _, key = (x.strip() for x in pair.partition(":"))
                marked_attrs[attr] = key
                self.keys.add(key)
        if key := a.get("data-i18n"):
            self.keys.add(key)
        for attr in self.ATTRS:
            if a.get(attr) and attr not in marked_attrs and a[attr] not in SAME_IN_BOTH:
                self.bare.append(f"<{tag} {attr}={a[attr]!r}>")
        frame = {"tag": tag, "marked": bool(a.get("data-i18n")) or a.get("translate") == "no"}
        if tag not in self.VOID:
            self.stack.append(frame)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text or not re.search(r"[^\W\d_]", text) or text in SAME_IN_BOTH:
            return
        tags = [f["tag"] for f in self.stack]
        if "script" in tags or "style" in tags or any(f["marked"] for f in self.stack):
            return
        self.bare.append(text)


def test_every_text_in_index_html_comes_from_the_catalogue():
    page = _Page()
    page.feed(INDEX)
    assert page.bare == [], "mark these data-i18n / data-i18n-attr (keys in i18n/en.json and es.json)"
    assert page.keys - set(CATALOGUE["en"]) == set()
    assert {"page.title", "key.intro", "status.control"} <= page.keys


def test_index_html_is_written_in_the_catalogues_english():
    """The static page's own text is the English catalogue's (what shows before the script runs)."""
    page = _Page()
    page.feed(INDEX)
    for key in page.keys:  # a static text has no plural forms
        assert all(isinstance(CATALOGUE[lang][key], str) for lang in LANGUAGES), key
    for match in re.finditer(r'data-i18n="([\w.]+)"[^>]*>([^<]+)<', INDEX):
        key, text = match.groups()
        assert " ".join(text.split()) == CATALOGUE["en"][key], key


def test_the_problem_an_agent_meets_working_a_case_comes_back_in_spanish():
    """The page shows problem details as the API words them (in its Accept-Language)."""
    refused = CauseRequired(Status.CONTACTED)
    assert translate(refused.detail, "es") == "una transición a 'contacted' registra la causa encontrada con el cliente"
    assert translate(refused.errors[0]["message"], "es") == "obligatoria al pasar a 'contacted'"
