/* Lazo ops dashboard: reads the same /v1 APIs as everyone else, with the user's API key.
 *
 * No build step and no framework: plain DOM, one charting library (uPlot, for the trend).
 * Data is polled every few seconds ("live"): the cheap, changing reads every tick, the costly
 * ones (trend buckets, touchpoints) only when the response count or the period changes.
 * Everything from the APIs is put in the page as text (never as HTML): comments and names
 * come from customers.
 */
"use strict";

(() => {
  const TICK_MS = 3000;
  const SLOW_EVERY = 5;          // ticks between reads of what changes slowly (programmes, experiment)
  // The API key is kept for this browser session (sessionStorage: gone when the browser closes),
  // or in localStorage only when the user ticks "Remember".
  const KEY_STORE = "lazo.apiKey";
  const PROGRAM_STORE = "lazo.program";

  // The four segments (DOMAIN.md), display names in Spanish, colours as in style.css.
  const SEGMENTS = [
    { key: "nunca_mas", name: "Nunca Más", color: "#d64545" },
    { key: "funcional", name: "Funcional", color: "#e8a33d" },
    { key: "pasivo", name: "Pasivo", color: "#7a8aa6" },
    { key: "wow", name: "WoW", color: "#2e9e6a" },
  ];
  const SEGMENT = Object.fromEntries(SEGMENTS.map((s) => [s.key, s]));
  const DEFAULT_BANDS = { funcional: 5, pasivo: 7, wow: 9 };
  // DOMAIN.md's touchpoints, asked one by one while scoring's KPIs do not list them.
  const TOUCHPOINTS = ["sales", "billing", "support", "contact_center", "collections", "web", "email", "chat",
                       "social", "store", "ads", "mailings"];
  // The seed's five emotional states (docs/comment-analysis.md), from "lo detesto" to "me encanta".
  const EMOTIONS = [
    { key: "rechazo", name: "Rechazo", color: "#b3261e" },
    { key: "decadencia", name: "Decadencia", color: "#e8a33d" },
    { key: "indiferencia", name: "Indiferencia", color: "#7a8aa6" },
    { key: "disfrutable", name: "Disfrutable", color: "#6cbf8f" },
    { key: "extasis", name: "Éxtasis", color: "#2e9e6a" },
  ];
  const LANG_STORE = "lazo.lang";
  const UNASSIGNED = "(unassigned)";  // casework's KPIs name the cases no team owns so (domain/kpis.py)
  const LANGUAGES = ["es", "en"];

  const state = {
    key: sessionStorage.getItem(KEY_STORE) || localStorage.getItem(KEY_STORE) || "",
    services: null,            // base URL per service, from /dashboard/config.json
    program: localStorage.getItem(PROGRAM_STORE) || "",
    programs: {},              // name -> definition (bands)
    causeNames: {},            // cause key -> {es, en}, from the programme's taxonomy
    granularity: "week",
    statusFilter: "",
    queueLimit: 20,            // grows with "Show more"
    openCase: null,            // case_id shown in the panel
    linkedAlert: null,         // alert_id of a chat alert's link (#alert=…), until its case opens
    signIn: null,              // the identity provider the page may sign in with (config.json)
    tick: 0,
    live: ["idle", "live.connecting", {}],
    busy: false,
    timer: null,
    trendKey: null, tpKey: null, commentsKey: null,
    chart: null,
  };

  // -- language -----------------------------------------------------------------------------
  // Every string a person reads comes from i18n/<lang>.json (same keys in both): t(key, params)
  // fills `{name}` placeholders; an entry {one, other} is chosen by the locale's plural rules
  // from params.count. Numbers and dates go through Intl in the same language.

  const i18n = { lang: "en", messages: {}, cache: {}, plural: null, int: null, one: null, pct: null, pct0: null };

  /** The stored choice, else the first of the browser's languages we speak, else English. */
  function chooseLanguage() {
    const kept = localStorage.getItem(LANG_STORE);
    if (LANGUAGES.includes(kept)) return kept;
    for (const tag of navigator.languages || [navigator.language]) {
      const base = String(tag || "").toLowerCase().split("-")[0];
      if (LANGUAGES.includes(base)) return base;
    }
    return "en";
  }

  async function useLanguage(lang) {
    if (!i18n.cache[lang]) {
      const resp = await fetch(`i18n/${lang}.json`, { cache: "no-cache" });
      if (!resp.ok) throw new Error(`i18n/${lang}.json: HTTP ${resp.status}`);
      i18n.cache[lang] = await resp.json();
    }
    setLocale(lang, i18n.cache[lang]);
    document.documentElement.lang = lang;
    translatePage();
  }

  function setLocale(lang, messages) {
    Object.assign(i18n, {
      lang, messages,
      plural: new Intl.PluralRules(lang),
      int: new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }),
      one: new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
      pct: new Intl.NumberFormat(lang, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }),
      pct0: new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }),
    });
  }
  setLocale("en", {});  // formatters before any catalogue: the page must draw numbers even without one

  function t(key, params = {}) {
    let msg = i18n.messages[key];
    if (msg === undefined) return key;  // tests/unit/test_dashboard_i18n.py keeps this from happening
    if (typeof msg === "object") msg = msg[i18n.plural.select(params.count ?? 0)] ?? msg.other;
    return msg.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  /** A catalogue entry for an API value (a touchpoint, a reason…), or `fallback` for one it does not know. */
  const tOr = (key, fallback) => (key in i18n.messages ? t(key) : fallback);

  /** The static page: data-i18n="key" sets the text, data-i18n-attr="attr:key;attr:key" attributes. */
  function translatePage() {
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-attr]")) {
      for (const pair of el.dataset.i18nAttr.split(";")) {
        const [attr, key] = pair.split(":").map((x) => x.trim());
        el.setAttribute(attr, t(key));
      }
    }
    for (const b of document.querySelectorAll(".lang-switch button")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === i18n.lang));
    }
  }

  // -- small helpers ------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  /** h("tag.class", {attr: v, onclick: fn}, children...) — text children are text nodes. */
  function h(spec, attrs, ...children) {
    const [tag, ...classes] = spec.split(".");
    const el = document.createElement(tag);
    if (classes.length) el.className = classes.join(" ");
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "style") el.style.cssText = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function fill(el, ...children) { el.replaceChildren(...children.flat().filter((c) => c != null && c !== false)); }

  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const fmtInt = (n) => (isNum(n) ? i18n.int.format(Math.round(n)) : "—");
  const fmt1 = (n) => (isNum(n) ? i18n.one.format(n) : "—");
  const pct = (n, total) => (total ? (100 * n) / total : 0);
  /** t() of a {one, other} entry: `count` picks the form, `n` is the formatted number. */
  const tn = (key, count, params = {}) => t(key, { count, n: fmtInt(count), ...params });
  const fmtPct = (x) => (isNum(x) ? i18n.pct.format(x / 100) : "—");
  const fmtPct0 = (x) => i18n.pct0.format(x / 100);
  const signed = (x, digits = 1) => (isNum(x)
    ? new Intl.NumberFormat(i18n.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits,
                                         signDisplay: "exceptZero" }).format(x) : "—");
  const ACRONYMS = { sla: "SLA", iec: "IEC", nps: "NPS", bai: "BAI", ces: "CES", csat: "CSAT", fcr: "FCR" };
  const humanize = (key) => String(key).split("_").map((w) => ACRONYMS[w.toLowerCase()] || w).join(" ")
    .replace(/^./, (c) => c.toUpperCase());
  const hours = (x) => (!isNum(x) ? "—" : x >= 48 ? t("unit.days", { n: fmt1(x / 24) }) : t("unit.hours", { n: fmt1(x) }));
  const dateTime = (iso) =>
    (iso ? new Date(iso).toLocaleString(i18n.lang, { dateStyle: "medium", timeStyle: "short" }) : "—");
  const statusLabel = (status) => tOr(`status.${status}`, status);
  const touchpointName = (key) => tOr(`touchpoint.${key}`, humanize(key));
  /** A cause's name in the page's language, from the programme's taxonomy (its keys otherwise). */
  const causeName = (key) => {
    const names = state.causeNames[key];
    return (names && (names[i18n.lang] || names.en)) || humanize(key);
  };
  const emotionName = (key) => (EMOTIONS.find((e) => e.key === key) || { name: humanize(key) }).name;

  function ago(iso) {
    if (!iso) return "—";
    const s = (new Date(iso).getTime() - Date.now()) / 1000;
    const rtf = new Intl.RelativeTimeFormat(i18n.lang, { numeric: "auto" });
    const abs = Math.abs(s);
    if (abs < 60) return rtf.format(Math.round(s), "second");
    if (abs < 3600) return rtf.format(Math.round(s / 60), "minute");
    if (abs < 86400) return rtf.format(Math.round(s / 3600), "hour");
    return rtf.format(Math.round(s / 86400), "day");
  }

  function segmentOf(iec, bands = DEFAULT_BANDS) {
    if (!isNum(iec)) return null;
    if (iec < bands.funcional) return SEGMENT.nunca_mas;
    if (iec < bands.pasivo) return SEGMENT.funcional;
    if (iec < bands.wow) return SEGMENT.pasivo;
    return SEGMENT.wow;
  }

  const segChip = (key) => {
    const s = SEGMENT[key];
    return s ? h("span.seg", { style: `background:${s.color}` }, s.name) : key ? h("span.badge", {}, key) : null;
  };
  const statusBadge = (status) => h(`span.badge.s-${status}`, { "data-testid": "status" }, statusLabel(status));
  const bands = () => (state.programs[state.program] || {}).bands || DEFAULT_BANDS;

  /** A number from the first of `paths` present in `obj` ("a.b" walks objects). */
  function pick(obj, ...paths) {
    for (const path of paths) {
      let v = obj;
      for (const part of path.split(".")) v = v == null ? undefined : v[part];
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  }

  // -- the API ------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem;
    }
  }

  async function api(service, path, { method = "GET", body, params, key = state.key } = {}) {
    const url = new URL(path, state.services[service]);
    for (const [k, v] of Object.entries(params || {})) if (v !== "" && v != null) url.searchParams.set(k, v);
    // Problems come back in the page's language (shared/i18n negotiates Accept-Language).
    const headers = { Authorization: `Bearer ${key}`, "Accept-Language": i18n.lang };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = resp.headers.get("content-type")?.includes("json") ? await resp.json() : null;
    if (!resp.ok) throw new ApiError(resp.status, data);
    return data;
  }

  /** The same read, but "not there (yet)" is an answer: 404/405 or an unreachable service give null. */
  async function optional(service, path, options) {
    try {
      return await api(service, path, options);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
      throw err;
    }
  }

  const programParam = () => (state.program ? { program: state.program } : {});

  // -- key gate -----------------------------------------------------------------------------

  function keepKey(key, remember) {
    forgetKey();
    (remember ? localStorage : sessionStorage).setItem(KEY_STORE, key);
  }

  function forgetKey() {
    sessionStorage.removeItem(KEY_STORE);
    localStorage.removeItem(KEY_STORE);
  }

  function askForKey(message = "") {
    stopPolling();
    $("main").hidden = true;
    $("key-error").textContent = message;
    $("key-input").value = "";
    $("key-remember").checked = Boolean(localStorage.getItem(KEY_STORE));
    const gate = $("keygate");
    if (!gate.open) gate.showModal();
    $("key-input").focus();
  }

  async function submitKey(event) {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    $("key-error").textContent = "";
    try {
      await api("casework", "/v1/cases", { params: { limit: 1 }, key });
    } catch (err) {
      $("key-error").textContent = keyProblem(err);
      return;
    }
    state.key = key;
    keepKey(key, $("key-remember").checked);
    $("keygate").close();
    start();
  }

  function keyProblem(err) {
    if (!(err instanceof ApiError)) return t("key.unreachable");
    if (err.status === 401) return t("key.invalid");
    if (err.status === 403) return t("key.forbidden");
    return err.message;
  }

  // -- polling ------------------------------------------------------------------------------

  function start() {
    linkFromHash();
    $("main").hidden = false;
    stopPolling();
    state.tick = 0;
    state.trendKey = state.tpKey = state.commentsKey = null;
    refresh();
    state.timer = setInterval(refresh, TICK_MS);
  }

  function stopPolling() {
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
  }

  async function refresh() {
    if (state.busy || document.hidden) return;
    state.busy = true;
    const slow = state.tick % SLOW_EVERY === 0;
    state.tick += 1;
    try {
      if (slow) await loadPrograms();
      const kpis = await api("scoring", "/v1/kpis", { params: programParam() });
      renderKpis(kpis);
      await Promise.all([
        loadCases(), loadAlerts(), loadOverdue(),
        state.openCase ? loadCase(state.openCase) : null,
        state.linkedAlert ? openLinkedCase() : null,
        loadTrend(kpis), loadTouchpoints(kpis), loadComments(kpis, slow),
        slow ? loadCaseKpis() : null, slow ? loadExperiment() : null, slow ? loadDeadLetters() : null,
      ]);
      setLive("ok", "live.ok", { time: new Date().toLocaleTimeString(i18n.lang) });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        state.key = "";
        forgetKey();
        askForKey(t("key.refused"));
      } else {
        if (err instanceof ApiError) setLive("error", "live.error", { message: err.message });
        else setLive("error", "live.offline");
        console.warn("refresh failed", err);
      }
    } finally {
      state.busy = false;
    }
  }

  /** The live indicator: kept as key and values, so a language switch words it again at once. */
  function setLive(status, key, params = {}) {
    state.live = [status, key, params];
    $("live").dataset.state = status;
    $("live-text").textContent = t(key, params);
  }

  // -- programmes ---------------------------------------------------------------------------

  async function loadPrograms() {
    const body = await optional("scoring", "/v1/programs");
    const list = (body && body.programs) || [];
    state.programs = Object.fromEntries(list.map((p) => [p.program, p]));
    const select = $("program");
    const names = list.map((p) => p.program);
    if (state.program && !names.includes(state.program)) names.push(state.program);
    const current = [...select.options].map((o) => o.value).slice(1);
    if (current.join("\n") !== names.join("\n") || select.options[0]?.textContent !== t("program.all")) {
      fill(select, h("option", { value: "" }, t("program.all")),
           names.map((n) => h("option", { value: n, translate: "no" }, n)));
    }
    select.value = state.program;
    // The causes' names in both languages (a taxonomy is per programme; "default" when none is chosen).
    const taxonomy = await optional("scoring", `/v1/programs/${encodeURIComponent(state.program || "default")}/taxonomy`)
      .catch((err) => { if (err instanceof ApiError && err.status === 401) throw err; return null; });
    state.causeNames = Object.fromEntries(((taxonomy && taxonomy.causes) || []).map((c) => [c.key, c.names || {}]));
  }

  function selectProgram(name) {
    state.program = name;
    localStorage.setItem(PROGRAM_STORE, name);
    state.trendKey = state.tpKey = null;
    state.tick = 0;  // re-read everything, slow parts included
    refresh();
  }

  // -- headline figures, segment mix, distribution -------------------------------------------

  function renderKpis(k) {
    const count = k.count || 0;
    text("kpi-count", fmtInt(count));
    $("kpi-count-note").textContent = k.not_scored ? tn("kpi.notScored", k.not_scored) : t("kpi.scoredResponses");
    const mean = pick(k, "iec.mean");
    text("kpi-iec", fmt1(mean));
    const seg = segmentOf(mean, bands());
    fill($("kpi-iec-note"), seg ? segChip(seg.key) : t("kpi.noResponses"));

    const nps = k.nps;
    const npsScore = isNum(nps) ? nps : pick(k, "nps.score");
    text("kpi-nps", isNum(npsScore) ? signed(npsScore, 0) : "—");
    $("kpi-nps-note").textContent = nps && typeof nps === "object" && nps.count
      ? `${tn("kpi.promoters", nps.promoters)} · ${tn("kpi.detractors", nps.detractors)}`
      : t("kpi.noRecommend");

    const bai = isNum(k.bai) ? k.bai : pick(k, "bai.score", "bai.value");
    text("kpi-bai", isNum(bai) ? signed(bai, 0) : "—");
    $("kpi-bai-note").textContent = isNum(bai)
      ? (isNum(pick(k, "bai.defenders")) ? `${tn("kpi.defenders", k.bai.defenders)} · ${tn("kpi.critics", k.bai.critics)}`
        : t("kpi.baiFormula"))
      : k.bai === undefined ? t("common.notYetAvailable") : t("kpi.noAnswers");

    renderMix(k.segments || {}, count);
    renderHistogram(pick(k, "iec.distribution") || {});
  }

  function text(testid, value) {
    const el = document.querySelector(`[data-testid="${testid}"]`);
    if (el.textContent !== value) el.textContent = value;
  }

  function renderMix(segments, count) {
    const total = SEGMENTS.reduce((t, s) => t + (segments[s.key] || 0), 0) || count;
    fill($("mix-bar"), SEGMENTS.map((s) => {
      const n = segments[s.key] || 0;
      return n ? h("span", { style: `width:${pct(n, total)}%;background:${s.color}`, title: `${s.name}: ${fmtInt(n)}` }) : null;
    }));
    fill($("mix-list"), SEGMENTS.map((s) => {
      const n = segments[s.key] || 0;
      return h("li", { "data-segment": s.key },
        h("span", {}, h("span.swatch", { style: `background:${s.color}` }), s.name),
        h("span", {}, h("b", {}, fmtInt(n)), " ", h("span.muted", {}, total ? fmtPct0(pct(n, total)) : "")));
    }));
  }

  // -- what comments say ----------------------------------------------------------------------

  async function loadComments(kpis, slow) {
    const key = `${state.program}|${kpis.count}|${kpis.not_scored}`;
    if (key === state.commentsKey && !slow) return;  // re-analyses change it too: re-read now and then
    const [mix, drivers, themes] = await Promise.all([
      optional("scoring", "/v1/kpis/comments", { params: programParam() }),
      optional("scoring", "/v1/kpis/drivers", { params: programParam() }),
      optional("scoring", "/v1/kpis/themes", { params: programParam() }),
    ]);
    state.commentsKey = key;
    renderComments(mix, drivers, themes);
  }

  function renderComments(mix, drivers, themes) {
    if (!mix) {
      $("comments-note").textContent = t("common.notAvailable");
      return;
    }
    const total = mix.analysed || 0;
    $("comments-note").textContent = tn("comments.analysed", total);
    fill($("emotion-bar"), EMOTIONS.map((e) => {
      const n = mix.emotions[e.key] || 0;
      return n ? h("span", { style: `width:${pct(n, total)}%;background:${e.color}`, title: `${e.name}: ${fmtInt(n)}` }) : null;
    }));
    fill($("emotion-list"), EMOTIONS.map((e) => {
      const n = mix.emotions[e.key] || 0;
      return h("li", { "data-emotion": e.key },
        h("span", {}, h("span.swatch", { style: `background:${e.color}` }), e.name),
        h("span", {}, h("b", {}, fmtInt(n)), " ", h("span.muted", {}, total ? fmtPct0(pct(n, total)) : "")));
    }));
    fill($("cause-list"), mix.causes.length ? mix.causes.slice(0, 10).map((c) => h("li", { "data-cause": c.key },
      h("span", {}, causeName(c.key)),
      h("span", {}, h("b", {}, fmtInt(c.mentions)), " ",
        h("span.muted", {}, `${tn("comments.negative", c.negative)} · ${tn("comments.positive", c.positive)}`))))
      : h("li.empty", {}, t("comments.noCauses")));
    const rows = ((drivers && drivers.drivers) || []).filter((d) => isNum(d.impact)).slice(0, 6);
    fill($("driver-list"), rows.length ? rows.map((d) => h("li", { "data-driver": d.key },
      h("span", {}, causeName(d.key)),
      h("span", {}, h(`b.${d.impact < 0 ? "impact-neg" : "impact-pos"}`, {}, signed(d.impact, 1)), " ",
        h("span.muted", {}, t("comments.driver", {
          with: fmt1(d.with.iec_mean), withCount: fmtInt(d.with.count),
          without: fmt1(d.without.iec_mean), withoutCount: fmtInt(d.without.count) })))))
      : h("li.empty", {}, t("comments.noDrivers")));
    const found = (themes && themes.themes) || [];
    fill($("theme-list"), found.length ? found.slice(0, 6).map((th) => h("li", { "data-theme": th.phrase },
      h("span", {}, h("span", { translate: "no" }, `“${th.phrase}”`),
        th.rising ? [" ", h("span.badge", {}, t("themes.rising"))] : null),
      h("span", {}, h("b", {}, fmtInt(th.count)), " ", h("span.muted", {}, t("themes.before", { n: fmtInt(th.previous) })))))
      : h("li.empty", {}, t("themes.none")));
  }

  /** The comment as text, the analysis's evidence marked (never as HTML: it is the customer's). */
  function commentWithEvidence(comment, causes) {
    const spans = [];
    for (const c of causes || []) {
      const at = c.evidence ? comment.indexOf(c.evidence) : -1;
      if (at >= 0 && !spans.some(([s, e]) => at < e && at + c.evidence.length > s)) {
        spans.push([at, at + c.evidence.length, c.key]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    const parts = [];
    let from = 0;
    for (const [start, end, key] of spans) {
      parts.push(comment.slice(from, start), h("mark", { title: causeName(key), "data-cause": key }, comment.slice(start, end)));
      from = end;
    }
    parts.push(comment.slice(from));
    return h("p.comment-quote", { "data-testid": "case-comment", translate: "no" }, "“", parts, "”");
  }

  function renderHistogram(distribution) {
    const points = Array.from({ length: 10 }, (_, i) => i + 1);
    const max = Math.max(1, ...points.map((p) => distribution[String(p)] || 0));
    fill($("histogram"), points.map((p) => {
      const n = distribution[String(p)] || 0;
      const seg = segmentOf(p + 0.5, bands());
      return h("div.col", { title: `IEC ${p}–${p === 10 ? 10 : p + 1}: ${fmtInt(n)}` },
        h("div.bar", { style: `height:${(100 * n) / max}%;background:${seg.color}` }),
        h("span.lbl", {}, String(p)));
    }));
  }

  // -- IEC trend ----------------------------------------------------------------------------

  /** Bucket boundaries (UTC), oldest first: the last 30 days, 12 weeks (Mondays) or 12 months. */
  function buckets(granularity) {
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const out = [];
    if (granularity === "day") {
      for (let i = 29; i >= 0; i--) out.push(new Date(day.getTime() - i * 86400e3));
      return out.map((d) => [d, new Date(d.getTime() + 86400e3)]);
    }
    if (granularity === "week") {
      const monday = new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * 86400e3);
      for (let i = 11; i >= 0; i--) out.push(new Date(monday.getTime() - i * 7 * 86400e3));
      return out.map((d) => [d, new Date(d.getTime() + 7 * 86400e3)]);
    }
    for (let i = 11; i >= 0; i--) out.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)));
    return out.map((d) => [d, new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))]);
  }

  async function loadTrend(kpis) {
    const spans = buckets(state.granularity);
    // Re-read only when something could have changed it: new responses, programme, period.
    const latest = spans[spans.length - 1][0].getTime();
    const key = [state.program, state.granularity, kpis.count, kpis.not_scored, latest].join("|");
    if (key === state.trendKey) return;
    const from = spans[0][0].toISOString();
    const to = new Date(spans[spans.length - 1][1].getTime() - 1).toISOString();  // `to` is inclusive
    const series = await optional("scoring", "/v1/kpis/series",
      { params: { ...programParam(), bucket: state.granularity, from, to } }).catch(() => null);
    let points;
    if (Array.isArray(series)) {
      const byStart = new Map(series.map((p) => [new Date(p.start).getTime(), p]));
      points = spans.map(([start]) => {
        const p = byStart.get(start.getTime());
        return { t: start.getTime() / 1000, mean: p ? pick(p, "iec_mean", "iec.mean") : null, count: p ? p.count : 0 };
      });
    } else {  // a scoring without the series: one KPI read per bucket
      points = await Promise.all(spans.map(async ([start, end]) => {
        const k = await api("scoring", "/v1/kpis", {
          params: { ...programParam(), from: start.toISOString(), to: new Date(end.getTime() - 1).toISOString() },
        });
        return { t: start.getTime() / 1000, mean: pick(k, "iec.mean"), count: k.count || 0 };
      }));
    }
    state.trendKey = key;
    drawTrend(points);
  }

  function drawTrend(points) {
    const el = $("trend-chart");
    const data = [points.map((p) => p.t), points.map((p) => (isNum(p.mean) ? p.mean : null)),
                  points.map((p) => p.count)];
    const b = bands();
    const ranges = [[1, b.funcional, SEGMENT.nunca_mas], [b.funcional, b.pasivo, SEGMENT.funcional],
                    [b.pasivo, b.wow, SEGMENT.pasivo], [b.wow, 10, SEGMENT.wow]];
    const width = Math.max(280, el.clientWidth);
    // Axis dates in the page's language (uPlot's own names are English).
    const axisDate = new Intl.DateTimeFormat(i18n.lang, state.granularity === "month"
      ? { month: "short", year: "2-digit" } : { day: "numeric", month: "short" });
    const half = points.length > 1 ? (points[1].t - points[0].t) / 2 : 43200;
    const opts = {
      width, height: 260,
      legend: { show: false },
      cursor: { points: { size: 8 } },
      scales: {
        // Half a bucket of margin each side, so the first and last bars are drawn whole.
        x: { time: true, range: (u, lo, hi) => [lo - half, hi + half] },
        y: { range: [1, 10] },
        n: { range: (u, lo, hi) => [0, Math.max(4, hi * 3)] },
      },
      axes: [
        { stroke: "#667085", grid: { show: false }, space: 50,
          values: (u, ticks) => ticks.map((s) => axisDate.format(new Date(s * 1000))) },
        { stroke: "#667085", scale: "y", values: (u, ticks) => ticks.map((v) => fmtInt(v)),
          splits: () => [1, 3, 5, 7, 9, 10],
          grid: { stroke: "rgba(0,0,0,.06)" } },
        { scale: "n", side: 1, stroke: "#98a2b3", grid: { show: false },
          values: (u, ticks) => ticks.map((v) => (v % 1 ? "" : fmtInt(v))) },
      ],
      series: [
        {},
        { label: t("trend.iecMean"), scale: "y", stroke: "#1c2430", width: 2, spanGaps: true,
          points: { show: true, size: 6, fill: "#1c2430" }, value: (u, v) => fmt1(v) },
        { label: t("trend.responses"), scale: "n", stroke: "rgba(47,91,211,.0)", fill: "rgba(47,91,211,.18)",
          paths: uPlot.paths.bars({ size: [0.6, 40] }), points: { show: false } },
      ],
      hooks: {
        // The segment bands behind everything: where the IEC sits, at a glance.
        drawClear: [(u) => {
          const ctx = u.ctx;
          ctx.save();
          for (const [lo, hi, seg] of ranges) {
            const top = u.valToPos(hi, "y", true);
            const bottom = u.valToPos(lo, "y", true);
            ctx.fillStyle = seg.color + "1f";
            ctx.fillRect(u.bbox.left, top, u.bbox.width, bottom - top);
          }
          ctx.restore();
        }],
      },
    };
    if (state.chart) state.chart.destroy();
    el.replaceChildren();
    state.chart = new uPlot(opts, data, el);
    const total = points.reduce((t, p) => t + p.count, 0);
    fill($("trend-legend"),
      SEGMENTS.map((s) => h("span", {}, h("span.swatch", { style: `background:${s.color}` }), s.name)),
      h("span", {}, h("span.swatch", { style: "background:#1c2430" }), t("trend.iecMean")),
      h("span", {}, h("span.swatch", { style: "background:rgba(47,91,211,.3)" }), tn("trend.inView", total)));
  }

  // -- consistency across touchpoints -------------------------------------------------------

  async function loadTouchpoints(kpis) {
    const key = [state.program, kpis.count].join("|");
    if (key === state.tpKey) return;
    // Scoring's KPIs may carry them already; otherwise ask per touchpoint.
    let rows = touchpointsIn(kpis);
    if (!rows) {
      rows = await Promise.all(TOUCHPOINTS.map(async (tp) => {
        const k = await api("scoring", "/v1/kpis", { params: { ...programParam(), touchpoint: tp } });
        return { name: tp, mean: pick(k, "iec.mean"), count: k.count || 0 };
      }));
    }
    state.tpKey = key;
    renderTouchpoints(rows.filter((r) => r.count > 0 && isNum(r.mean)), kpis);
  }

  function touchpointsIn(kpis) {
    if (!Array.isArray(kpis.touchpoints)) return null;
    return kpis.touchpoints.map((t) => ({ name: t.touchpoint, mean: pick(t, "iec_mean", "mean"), count: t.count }));
  }

  function renderTouchpoints(rows, kpis) {
    rows.sort((a, b) => b.mean - a.mean);
    const given = pick(kpis, "consistency.score");  // 0 (as uneven as can be) to 1 (the same everywhere)
    if (!rows.length) {
      fill($("tp-summary"), t("tp.none"));
      fill($("tp-bars"));
      return;
    }
    const means = rows.map((r) => r.mean);
    const spread = Math.max(...means) - Math.min(...means);
    fill($("tp-summary"),
      isNum(given) ? [h("b", { "data-testid": "consistency" },
        new Intl.NumberFormat(i18n.lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(given)),
        " ", t("tp.consistency"), " · "] : null,
      rows.length > 1
        ? [h("b", {}, tn("tp.points", spread, { n: fmt1(spread) })), " ",
           t("tp.between", { best: touchpointName(rows[0].name), worst: touchpointName(rows[rows.length - 1].name) })]
        : t("tp.only", { name: touchpointName(rows[0].name) }));
    fill($("tp-bars"), rows.map((r) => {
      const seg = segmentOf(r.mean, bands());
      return h("div.hbar", { title: tn("tp.responses", r.count) },
        h("span.name", {}, touchpointName(r.name)),
        h("span.track", {},
          h("span.fill", { style: `display:block;width:${(100 * (r.mean - 1)) / 9}%;background:${seg.color}` })),
        h("span.val", {}, fmt1(r.mean), " ", h("span.muted", {}, `(${fmtInt(r.count)})`)));
    }));
  }

  // -- cases --------------------------------------------------------------------------------

  async function loadCases() {
    const f = state.statusFilter;
    const params = { ...programParam(), limit: state.queueLimit,
                     ...(f === "overdue" ? { overdue: true } : f ? { status: f } : {}) };
    const page = await api("casework", "/v1/cases", { params });
    renderCases(page);
  }

  async function loadOverdue() {
    const page = await api("casework", "/v1/cases", { params: { ...programParam(), overdue: true, limit: 1 } });
    text("kpi-overdue", fmtInt(page.total));
    document.querySelector('[data-testid="kpi-overdue"]').classList.toggle("bad", page.total > 0);
    $("kpi-overdue-note").textContent = page.total ? t("kpi.overdue") : t("kpi.withinSla");
  }

  function nextDue(c) {
    if (c.status === "open") return [t("due.first_contact"), c.due.first_contact];
    if (["contacted", "analysing", "responded"].includes(c.status)) return [t("due.close"), c.due.close];
    return null;
  }

  function renderCases(page) {
    // Rows are rebuilt every tick (relative times move): keep the keyboard focus where it was.
    const focused = document.activeElement?.dataset?.caseId;
    $("queue-total").textContent = page.total > page.items.length
      ? t("common.nOfTotal", { n: fmtInt(page.items.length), total: fmtInt(page.total) }) : fmtInt(page.total);
    $("cases-empty").hidden = page.items.length > 0;
    const more = page.total - page.items.length;
    $("cases-more").hidden = more <= 0 || state.queueLimit >= 500;
    $("cases-more").textContent = tn("cases.more", Math.min(20, more));
    fill($("cases-body"), page.items.map((c) => {
      const due = nextDue(c);
      return h(`tr${c.overdue ? ".overdue" : ""}`, {
        tabindex: "0", dataset: { caseId: c.case_id, customerId: c.customer_id },
        onclick: () => openCase(c.case_id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openCase(c.case_id); } },
      },
      h("td", { translate: "no" }, h("div.who", {}, c.customer.name || c.customer_id), h("div.sub", {}, c.customer_id)),
      h("td", {}, statusBadge(c.status), c.overdue ? [" ", h("span.badge.late", {}, t("cases.overdue"))] : null),
      h("td", { "data-label": t("cases.opened") }, ago(c.opened_at)),
      h("td", { "data-label": due ? t("cases.dueFor", { what: due[0] }) : t("cases.due") },
        due ? h(`span${c.overdue ? ".late" : ""}`, { title: dateTime(due[1]) }, ago(due[1])) : ""),
      h("td", { "data-label": t("cases.owner"), translate: "no" }, c.owner || ""),
      h("td", { "data-label": t("cases.cause"), translate: "no" }, c.cause || ""));
    }));
    if (focused) $("cases-body").querySelector(`tr[data-case-id="${CSS.escape(focused)}"]`)?.focus();
  }

  // -- one case: timeline and actions -------------------------------------------------------

  async function openCase(caseId) {
    state.openCase = caseId;
    $("panel").hidden = false;
    $("scrim").hidden = false;
    fill($("panel-body"), h("p.muted", {}, t("common.loading")));
    try {
      await loadCase(caseId, { fresh: true });
    } catch (err) {
      fill($("panel-body"), h("p.error", {}, err.message));
    }
  }

  // -- single sign-on: authorization code with PKCE (RFC 7636) at the company's identity provider --
  // The access token it gives is sent as the key is (Authorization: Bearer), kept for this browser
  // session only; the services verify it against the provider's keys. When it expires, the page
  // asks again, like for a refused key.

  const SSO_STORE = "lazo.signIn";

  function base64url(bytes) {
    return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function provider() {
    const issuer = state.signIn.issuer.replace(/\/$/, "");
    const resp = await fetch(`${issuer}/.well-known/openid-configuration`);
    if (!resp.ok) throw new Error(t("sso.providerStatus", { status: resp.status }));
    return resp.json();
  }

  async function signIn() {
    $("key-error").textContent = "";
    try {
      const found = await provider();
      const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
      const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const back = location.origin + location.pathname;
      sessionStorage.setItem(SSO_STORE, JSON.stringify({ verifier, nonce, back, hash: location.hash,
                                                          token: found.token_endpoint }));
      const url = new URL(found.authorization_endpoint);
      const params = { response_type: "code", client_id: state.signIn.client_id, redirect_uri: back,
                       scope: state.signIn.scope, state: nonce, code_challenge: challenge,
                       code_challenge_method: "S256", audience: state.signIn.audience };
      for (const [k, v] of Object.entries(params)) if (v) url.searchParams.set(k, v);
      location.assign(url.toString());
    } catch (err) {
      $("key-error").textContent = t("sso.unreachable", { message: err.message });
    }
  }

  /** Back from the provider with ?code=&state=: the token for the code, or null (and why, shown). */
  async function finishSignIn() {
    const params = new URLSearchParams(location.search);
    if (!params.has("code") && !params.has("error")) return null;
    const saved = JSON.parse(sessionStorage.getItem(SSO_STORE) || "null");
    sessionStorage.removeItem(SSO_STORE);
    history.replaceState(null, "", location.pathname + (saved?.hash || ""));
    if (params.has("error")) throw new Error(params.get("error_description") || params.get("error"));
    if (!saved || params.get("state") !== saved.nonce) throw new Error(t("sso.notStartedHere"));
    const resp = await fetch(saved.token, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "authorization_code", code: params.get("code"),
                                  redirect_uri: saved.back, client_id: state.signIn.client_id,
                                  code_verifier: saved.verifier }),
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok || !body.access_token) throw new Error(body.error_description || body.error || `HTTP ${resp.status}`);
    return body.access_token;
  }

  // -- exports: the programme in view, as the API streams it (managers) --------------------------

  async function download(service, path) {
    const status = $("export-status");
    status.textContent = t("export.preparing");
    try {
      const url = new URL(path, state.services[service]);
      for (const [k, v] of Object.entries(programParam())) url.searchParams.set(k, v);
      const resp = await fetch(url, { headers: { Authorization: `Bearer ${state.key}`, "Accept-Language": i18n.lang } });
      if (!resp.ok) {
        throw new ApiError(resp.status, resp.headers.get("content-type")?.includes("json") ? await resp.json() : null);
      }
      const name = /filename="([^"]+)"/.exec(resp.headers.get("content-disposition") || "")?.[1] || "lazo-export.csv";
      const href = URL.createObjectURL(await resp.blob());
      const link = h("a", { href, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      status.textContent = "";
    } catch (err) {
      status.textContent = err instanceof ApiError && err.status === 403
        ? t("export.forbidden") : t("export.failed", { message: err.message });
    }
  }

  // A Slack or Teams alert links here as `#alert=<alert_id>`: open the case that took that alert,
  // as soon as casework has it (the message may be read before the case is opened).
  function linkFromHash() {
    const found = /^#alert=(.+)$/.exec(location.hash);
    if (!found) return;
    try {
      state.linkedAlert = decodeURIComponent(found[1]);
    } catch {
      state.linkedAlert = null;
    }
  }

  async function openLinkedCase() {
    const alertId = state.linkedAlert;
    const page = await api("casework", "/v1/cases", { params: { alert_id: alertId, limit: 1 } });
    if (state.linkedAlert !== alertId) return;
    if (page.items.length) {
      state.linkedAlert = null;
      history.replaceState(null, "", location.pathname + location.search);  // a reload shows the queue
      await openCase(page.items[0].case_id);
    } else if (!state.openCase) {
      $("panel").hidden = false;
      $("scrim").hidden = false;
      $("panel-title").textContent = t("panel.alert");
      $("panel-title").translate = true;
      $("panel-sub").textContent = alertId;
      fill($("panel-body"), h("p.muted", { "data-testid": "linked-waiting" }, t("panel.linkedWaiting")));
    }
  }

  function closeCase() {
    state.linkedAlert = null;
    state.openCase = null;
    $("panel").hidden = true;
    $("scrim").hidden = true;
  }

  async function loadCase(caseId, { fresh = false } = {}) {
    const c = await api("casework", `/v1/cases/${encodeURIComponent(caseId)}`);
    if (state.openCase !== caseId) return;
    const body = $("panel-body");
    // Re-render only when the case moved, so a poll never wipes what the agent is typing.
    const version = `${c.status}|${c.timeline.length}|${c.overdue}`;
    const sameCase = body.dataset.caseId === caseId;
    if (!fresh && sameCase && body.dataset.version === version) return;
    const [scores, alerts] = await Promise.all([
      optional("scoring", `/v1/customers/${encodeURIComponent(c.customer_id)}`).catch(() => null),
      optional("alerts", "/v1/alerts", { params: { customer_id: c.customer_id, limit: 20 } }).catch(() => null),
    ]);
    if (state.openCase !== caseId) return;
    const ids = new Set((c.alerts || []).map((a) => a.alert_id));
    const taken = ((alerts && alerts.items) || []).filter((a) => ids.has(a.alert_id));
    const alert = taken.find((a) => a.comment);
    renderCase(c, scores, { keepForm: !fresh && sameCase && body.dataset.status === c.status, alert,
                            alerts: new Map(taken.map((a) => [a.alert_id, a])) });
    Object.assign(body.dataset, { caseId, version, status: c.status });
  }

  function renderCase(c, scores, { keepForm, alert, alerts }) {
    $("panel-title").textContent = c.customer.name || c.customer_id;
    $("panel-title").translate = false;  // a customer's name, not the page's words
    $("panel-sub").textContent = t("panel.sub", { customer: c.customer_id, email: c.customer.email || t("panel.noEmail"),
                                                  case: c.case_id });
    const oldForm = keepForm ? $("panel-body").querySelector(".actions") : null;
    const due = nextDue(c);
    const details = h("dl.kv", {},
      kv(t("panel.program"), h("span", { translate: "no" }, c.program)),
      kv(t("panel.owner"), c.owner ? h("span", { translate: "no" }, c.owner) : t("panel.unassigned")),
      kv(t("panel.cause"), c.cause ? h("span", { translate: "no" }, c.cause) : t("panel.notRecorded")),
      c.cause_key ? kv(t("panel.causeKey"), `${causeName(c.cause_key)}${c.suggestion_kept === true
        ? ` ${t("panel.suggested")}` : c.suggestion_kept === false ? ` ${t("panel.notSuggested")}` : ""}`) : null,
      kv(t("panel.opened"), dateTime(c.opened_at)),
      due ? kv(t("cases.dueFor", { what: due[0] }), dateTime(due[1])) : null,
      isNum(c.current_feeling) ? kv(t("panel.feelsNow"), fmt1(c.current_feeling)) : null,
      scores && isNum(scores.iec) ? kv(t("panel.latestIec"), h("span", {}, fmt1(scores.iec), " ", segChip(scores.segment)))
        : null);

    fill($("panel-body"),
      h("div.status-line", {}, h("span", { "data-testid": "case-status" }, statusBadge(c.status)),
        c.breaches.map((b) => h("span.badge.late", {}, t("panel.breach", { what: tOr(`due.${b}`, humanize(b)) })))),
      h("section", {}, details),
      alert ? h("section", {}, h("h3", {}, t("panel.customerWrote")),
        commentWithEvidence(alert.comment, pick(alert, "comment_analysis.causes")),
        alert.comment_analysis ? h("p.muted", {}, emotionName(alert.comment_analysis.emotion), " · ",
          h("span", { translate: "no" }, alert.comment_analysis.analyzer)) : null) : null,
      oldForm || actionsFor(c),
      scores && scores.history && scores.history.length > 1 ? h("section", {}, h("h3", {}, t("panel.iecHistory")),
        h("p", {}, scores.history.slice(0, 8).reverse().map((r) => [segChip(r.segment), " ", fmt1(r.iec), "  "]))) : null,
      h("section", {}, h("h3", {}, t("panel.timeline")), h("ol.timeline", { "data-testid": "timeline" },
        timeline(c.timeline, alerts))));
  }

  const kv = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));

  /** Newest first; an owner is shown where it changed, not on every entry. */
  function timeline(entries, alerts) {
    let owner = null;
    const items = entries.map((t) => {
      const item = timelineItem(t, t.owner && t.owner !== owner, alerts);
      if (t.owner) owner = t.owner;
      return item;
    });
    return items.reverse();
  }

  /** An alert's facts in the page's language: IEC, segment, why it was selected, touchpoint. */
  const alertFacts = (a) => [`IEC ${fmt1(a.iec)} `, segChip(a.segment),
    ` · ${(a.reasons || []).map((r) => tOr(`reason.${r}`, humanize(r))).join(", ")}`,
    a.touchpoint ? ` · ${touchpointName(a.touchpoint)}` : null];

  function timelineItem(e, ownerChanged, alerts) {
    // Casework notes the alert that opened or joined a case in English ("alert …: IEC …; reasons: …");
    // the same facts come from the alert itself, in the page's language, when the page has it.
    const taken = e.alert_id && alerts && alerts.get(e.alert_id);
    const alertNote = taken && (e.note || "").startsWith(`alert ${e.alert_id}:`);
    const by = e.by ? ` · ${e.by}` : "";
    let what;
    switch (e.type) {
      case "opened":
        what = e.to === "control" ? t("timeline.heldOut") : t("timeline.opened");
        break;
      case "alert_added": what = t("timeline.alertAdded"); break;
      case "transitioned": what = `${statusLabel(e.from)} → ${statusLabel(e.to)}`; break;
      case "follow_up": what = t("timeline.followUp", { feeling: fmt1(e.current_feeling) }); break;
      case "overdue": what = t("timeline.overdue", { what: tOr(`due.${e.overdue}`, humanize(e.overdue || "")) }); break;
      case "closed":
        what = isNum(e.current_feeling) ? t("timeline.closedFeeling", { feeling: fmt1(e.current_feeling) })
          : t("timeline.closed");
        break;
      default: what = humanize(e.type || "event");
    }
    if (e.solved === false) what = t("timeline.notSolved");
    return h(`li.t-${e.type}`, {},
      h("div.what", {}, what),
      h("div.meta", {}, dateTime(e.at), h("span", { translate: "no" }, by)),
      e.cause ? h("div.note", {}, h("b", {}, t("timeline.cause")), " ", h("span", { translate: "no" }, e.cause)) : null,
      ownerChanged ? h("div.meta", {}, t("timeline.owner"), " ", h("span", { translate: "no" }, e.owner)) : null,
      alertNote ? h("div.note", {}, alertFacts(taken)) : e.note ? h("div.note", { translate: "no" }, e.note) : null);
  }

  function actionsFor(c) {
    const allowed = new Set(c.allowed || []);
    const canConfirm = c.status === "responded";
    if (!allowed.size && !canConfirm) {
      return h("section", {}, h("p.muted", {}, c.status === "control" ? t("actions.control") : t("actions.closed")));
    }
    const error = h("p.error", { "data-testid": "action-error", role: "alert" });
    const note = h("textarea", { id: "act-note", placeholder: t("actions.notePlaceholder"), maxlength: "5000" });
    const owner = h("input", { id: "act-owner", type: "text", maxlength: "200",
                               placeholder: c.owner || t("actions.ownerPlaceholder") });
    const cause = h("input", { id: "act-cause", type: "text", maxlength: "500", "data-testid": "cause-input",
                               placeholder: t("actions.causePlaceholder") });
    // The analysis's suggestions: choosing one records its key with the first contact.
    let causeKey = null;
    const chips = (c.suggested_causes || []).map((s) => h("button.suggestion", {
      type: "button", "data-cause": s.key, "aria-pressed": "false", title: `“${s.evidence}”`, translate: "no",
      onclick: (e) => {
        const on = e.currentTarget.getAttribute("aria-pressed") !== "true";
        for (const b of e.currentTarget.parentElement.children) b.setAttribute("aria-pressed", "false");
        e.currentTarget.setAttribute("aria-pressed", String(on));
        causeKey = on ? s.key : null;
      },
    }, causeName(s.key)));
    const feeling = h("input", { id: "act-feeling", type: "number", min: "1", max: "10", step: "0.1", placeholder: "1–10" });

    const send = async (button, path, payload) => {
      error.textContent = "";
      button.disabled = true;
      try {
        await api("casework", `/v1/cases/${encodeURIComponent(c.case_id)}/${path}`, { method: "POST", body: payload });
        await loadCase(c.case_id, { fresh: true });
        loadCases().catch(() => {});
      } catch (err) {
        const fields = err.problem && err.problem.errors ? err.problem.errors.map((e) => e.field).join(", ") : "";
        error.textContent = fields ? `${err.message} (${fields})` : err.message;
        button.disabled = false;
      }
    };
    const move = (to, label, primary) => allowed.has(to) ? h(`button.btn${primary ? ".btn-primary" : ""}`, {
      type: "button", "data-action": to,
      onclick: (e) => {
        const payload = { to, note: note.value.trim() || null, owner: owner.value.trim() || null };
        if (to === "contacted") {
          payload.cause = cause.value.trim() || null;
          if (causeKey) payload.cause_key = causeKey;
        }
        send(e.currentTarget, "transitions", payload);
      },
    }, label) : null;

    const confirmRow = canConfirm ? h("div.row", {},
      h("label", {}, t("actions.feelsNow"), feeling),
      h("button.btn.btn-primary", { type: "button", "data-action": "confirm", onclick: (e) =>
        send(e.currentTarget, "confirmation", { solved: true, current_feeling: feeling.value ? Number(feeling.value) : null,
                                                 note: note.value.trim() || null }) }, t("actions.solved")),
      h("button.btn", { type: "button", "data-action": "not-solved", onclick: (e) =>
        send(e.currentTarget, "confirmation", { solved: false, note: note.value.trim() || null }) }, t("actions.notSolved")))
      : null;

    return h("section.actions", { "data-testid": "actions" },
      h("h3", {}, t("actions.title")),
      allowed.has("contacted") && chips.length ? h("div", {}, h("span.muted", {}, t("actions.suggestions")),
        h("div.suggestions", { "data-testid": "suggested-causes" }, chips)) : null,
      allowed.has("contacted") ? h("label", {}, chips.length ? t("actions.causeOrSuggestion")
        : t("actions.causeRequired"), cause) : null,
      h("div.row", {}, h("label", {}, t("actions.owner"), owner)),
      h("label", {}, t("actions.note"), note),
      h("div.row", {},
        move("contacted", statusLabel("contacted"), true), move("analysing", statusLabel("analysing"), !allowed.has("contacted")),
        move("responded", statusLabel("responded"), true), move("unreachable", statusLabel("unreachable"), false)),
      confirmRow, error);
  }

  // -- alerts, case KPIs, experiment --------------------------------------------------------

  async function loadAlerts() {
    const page = await api("alerts", "/v1/alerts", { params: { ...programParam(), limit: 8 } });
    text("kpi-alerts", fmtInt(page.total));
    const held = page.items.filter((a) => a.control_group).length;
    $("kpi-alerts-note").textContent = held ? tn("alerts.heldOut", held) : t("alerts.selected");
    fill($("alerts"), page.items.length ? page.items.map((a) => h("li", {},
      h("span", {}, h("b", { translate: "no" }, a.customer.name || a.customer_id), " ", segChip(a.segment), " ",
        h("span.num", {}, fmt1(a.iec)), a.control_group ? [" ", h("span.badge.s-control", {}, t("alerts.control"))] : null),
      h("span.muted", { title: dateTime(a.raised_at) }, ago(a.raised_at)),
      a.comment ? h("span.comment", { title: a.comment, translate: "no" }, `“${a.comment}”`)
        : h("span.comment", {}, (a.reasons || []).map((r) => tOr(`reason.${r}`, humanize(r))).join(", "))))
      : h("li.empty", {}, t("alerts.none")));
  }

  async function loadCaseKpis() {
    let k;
    try {
      k = await optional("casework", "/v1/kpis", { params: programParam() });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      k = null;
    }
    const el = $("case-kpis");
    if (!k) return fill(el, h("p.unavailable", {}, t("caseKpis.unavailable")));
    fill(el, k.time_to_first_contact_hours && k.backlog ? caseKpis(k) : describe(k));
  }

  function caseKpis(k) {
    const ttfc = k.time_to_first_contact_hours;
    const ttc = k.time_to_close_hours || {};
    const sla = k.sla || {};
    const compliance = (part) => (part && isNum(part.compliance) ? fmtPct(100 * part.compliance) : "—");
    const byStatus = Object.entries(k.backlog.by_status || {}).filter(([, n]) => n > 0);
    return [
      h("dl.kv", {},
        kv(t("caseKpis.firstContact"), `${hours(ttfc.p50)} / ${hours(ttfc.p90)}`),
        kv(t("caseKpis.close"), `${hours(ttc.p50)} / ${hours(ttc.p90)}`),
        kv(t("caseKpis.confirmed"), k.confirmed && isNum(k.confirmed.share)
          ? `${fmtPct(100 * k.confirmed.share)} (${fmtInt(k.confirmed.closed)})` : "—"),
        kv(t("caseKpis.slaFirstContact"), compliance(sla.first_contact)),
        kv(t("caseKpis.slaClose"), compliance(sla.close)),
        kv(t("caseKpis.cases"), k.control_cases ? t("caseKpis.casesWithControl", { n: fmtInt(k.cases),
                                                                                     control: fmtInt(k.control_cases) })
          : fmtInt(k.cases)),
        k.suggestions ? h("div", { "data-testid": "suggestion-kept" }, h("dt", {}, t("caseKpis.keptSuggestion")),
          h("dd", {}, isNum(k.suggestions.kept_share)
            ? `${fmtPct(100 * k.suggestions.kept_share)} (${t("common.nOfTotal", { n: fmtInt(k.suggestions.kept),
                                                                                   total: fmtInt(k.suggestions.chosen) })})`
            : "—")) : null),
      h("div.kpi-sections", {},
        miniTable(t("caseKpis.backlog", { n: fmtInt(k.backlog.total) }),
          byStatus.length ? byStatus.map(([st, n]) => [statusBadge(st), fmtInt(n)]) : [[t("caseKpis.empty"), ""]]),
        miniTable(t("caseKpis.byOwner"), (k.backlog.by_owner || []).slice(0, 6)
          .map((o) => [o.owner === UNASSIGNED ? t("panel.unassigned") : h("span", { translate: "no" }, o.owner),
                       fmtInt(o.cases)])),
        miniTable(t("caseKpis.topCauses"), (k.top_causes || []).slice(0, 6)
          .map((c) => [h("span", { translate: "no" }, c.cause), fmtInt(c.cases)]))),
    ];
  }

  /** A two-column table (label, figure) under a caption; nothing when there are no rows. */
  function miniTable(caption, rows) {
    if (!rows.length) return null;
    return h("table.mini", {}, h("caption", {}, caption),
      h("tbody", {}, rows.map(([label, value]) => h("tr", {}, h("td", {}, label), h("td", {}, value)))));
  }

  /** A readable view of a JSON document whose exact shape this page does not need to know
   *  (a newer API than this page): figures at the top level, then one small table per object. */
  function describe(obj) {
    const leaf = (v) => isNum(v) || typeof v === "string" || v === null;
    const rowsOf = (o) => Object.entries(o).filter(([, v]) => leaf(v)).map(([k, v]) => [humanize(k), showValue(k, v)]);
    const scalars = [];
    const blocks = [];
    for (const [key, value] of Object.entries(obj)) {
      if (["program", "from", "to", "definitions"].includes(key)) continue;
      if (leaf(value)) scalars.push(kv(humanize(key), showValue(key, value)));
      else if (Array.isArray(value)) {
        const rows = value.filter((r) => r && typeof r === "object").slice(0, 10).map((r) => Object.values(r));
        blocks.push(miniTable(humanize(key), rows.map((v) => [String(v[0] ?? "—"), showValue(key, v[v.length - 1])])));
      } else if (value && typeof value === "object") {
        blocks.push(miniTable(humanize(key), rowsOf(value)));
        for (const [k2, v] of Object.entries(value)) {
          if (v && typeof v === "object" && !Array.isArray(v)) {
            blocks.push(miniTable(`${humanize(key)} · ${humanize(k2).toLowerCase()}`, rowsOf(v)));
          }
        }
      }
    }
    return [scalars.length ? h("dl.kv", {}, scalars) : null, h("div.kpi-sections", {}, blocks)];
  }

  function showValue(key, v) {
    if (v === null || v === undefined) return "—";
    if (!isNum(v)) return String(v);
    if (/share|rate|compliance|ratio/i.test(key) && v <= 1) return fmtPct(100 * v);
    return Number.isInteger(v) ? fmtInt(v) : fmt1(v);
  }

  async function loadExperiment() {
    const program = state.program || "default";
    $("exp-program").textContent = t("experiment.program", { name: program });
    let e;
    try {
      e = await optional("casework", `/v1/experiments/${encodeURIComponent(program)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      e = null;
    }
    const el = $("experiment");
    if (!e) return fill(el, h("p.unavailable", {}, t("experiment.unavailable")));
    if (!(e.treated && e.control && e.difference)) return fill(el, describe(e));
    // Rates, intervals and the difference are in percent / points.
    const arms = [["treated", e.treated, "#2f5bd3"], ["control", e.control, "#98a2b3"]];
    const d = e.difference;
    fill(el,
      h("div.exp-groups", {}, arms.map(([label, g, color]) => {
        const rate = g.renewal_rate;
        const [lo, hi] = Array.isArray(g.ci95) ? g.ci95 : [];
        return h("div.exp-group", { "data-group": label },
          h("span", {}, h("b", {}, t(`experiment.${label}`)),
            h("div.muted", {}, t("experiment.withOutcome", { n: fmtInt(g.with_outcome), total: fmtInt(g.customers) }))),
          h("span.track", { title: isNum(lo) ? t("experiment.ci", { lo: fmtPct(lo), hi: fmtPct(hi) }) : "" },
            h("span.fill", { style: `width:${isNum(rate) ? rate : 0}%;background:${color}` }),
            isNum(lo) ? h("span.ci", { style: `left:${lo}%;width:${Math.max(0.5, hi - lo)}%` }) : null),
          h("span.val", {}, isNum(rate) ? fmtPct(rate) : "—"));
      })),
      h("p.exp-verdict", { "data-testid": "verdict" }, verdict(e)),
      h("p.exp-facts", {},
        isNum(d.points) ? h("span", {}, t("experiment.difference", { n: signed(d.points) })) : null,
        Array.isArray(d.ci95) ? h("span", {}, t("experiment.ci", { lo: signed(d.ci95[0]), hi: signed(d.ci95[1]) })) : null,
        arms.map(([label, g]) => (g.revenue && isNum(g.revenue.per_customer)
          ? h("span", {}, t("experiment.revenue", { arm: t(`experiment.${label}`), n: fmtInt(g.revenue.per_customer) }))
          : null)),
        isNum(d.revenue_lift_percent) ? h("span", {}, t("experiment.lift", { n: signed(d.revenue_lift_percent) })) : null));
  }

  /** The experiment's verdict in the page's language, from its conclusion and figures (the API's
   *  `verdict` is the same sentence in English: shown only for a conclusion this page does not know). */
  function verdict(e) {
    const d = e.difference;
    if (e.conclusion === "not_enough_data") {
      return t("verdict.not_enough_data", { treated: fmtInt(e.treated.with_outcome), control: fmtInt(e.control.with_outcome),
                                            min: fmtInt(e.minimum_per_group) });
    }
    if (!(`verdict.${e.conclusion}` in i18n.messages) || !isNum(d.points) || !Array.isArray(d.ci95)) return e.verdict || "";
    const span = t("verdict.span", { lo: signed(d.ci95[0]), hi: signed(d.ci95[1]) });
    const rates = t("verdict.rates", { treated: fmtPct(e.treated.renewal_rate), control: fmtPct(e.control.renewal_rate) });
    const points = e.conclusion === "treated_renew_less" ? fmt1(-d.points)
      : e.conclusion === "treated_renew_more" ? fmt1(d.points) : signed(d.points);
    return t(`verdict.${e.conclusion}`, { n: points, span, rates });
  }

  // -- dead letters -------------------------------------------------------------------------

  /** Each service's pending dead letters (an admin's read: other roles see that it needs one). */
  async function loadDeadLetters() {
    const counts = await Promise.all(Object.keys(state.services).map(async (service) => {
      try {
        const page = await api(service, "/v1/dead-letters", { params: { status: "pending", limit: 1 } });
        return [service, page.total];
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) throw err;
        return [service, err instanceof ApiError && err.status === 403 ? t("deadLetters.adminNeeded") : "—"];
      }
    }));
    fill($("dead-letters"), counts.map(([service, n]) => h("li", { "data-service": service },
      h("span", { translate: "no" }, service),
      h(isNum(n) && n > 0 ? "b.bad" : "b", { "data-testid": `dead-letters-${service}` }, isNum(n) ? fmtInt(n) : n))));
  }

  // -- wiring -------------------------------------------------------------------------------

  /** The ES | EN switch: the choice sticks (localStorage) and everything on screen is redrawn in it. */
  async function switchLanguage(lang) {
    if (!LANGUAGES.includes(lang) || lang === i18n.lang) return;
    localStorage.setItem(LANG_STORE, lang);
    try {
      await useLanguage(lang);
    } catch (err) {
      console.warn("language not switched", err);
      return;
    }
    $("panel-body").dataset.version = "";  // the open case is drawn again
    setLive(...state.live);
    if (state.timer) {
      state.tick = 0;
      state.trendKey = state.tpKey = state.commentsKey = null;
      refresh();
    }
  }

  async function boot() {
    for (const b of document.querySelectorAll(".lang-switch button")) {
      b.addEventListener("click", () => switchLanguage(b.dataset.lang));
    }
    try {
      await useLanguage(chooseLanguage());
    } catch (err) {  // the static page stays in the English it was written in
      console.warn("no catalogue", err);
    }
    setLive(...state.live);
    $("key-form").addEventListener("submit", submitKey);
    $("change-key").addEventListener("click", () => askForKey());
    // Escape on the key gate goes back to the dashboard when there is a key to go back with.
    $("keygate").addEventListener("cancel", (e) => {
      e.preventDefault();
      if (state.key) { $("keygate").close(); start(); }
    });
    $("program").addEventListener("change", (e) => selectProgram(e.target.value));
    $("status-filter").addEventListener("change", (e) => {
      state.statusFilter = e.target.value;
      state.queueLimit = 20;
      loadCases().catch(() => {});
    });
    $("cases-more").addEventListener("click", () => {
      state.queueLimit = Math.min(500, state.queueLimit + 20);
      loadCases().catch(() => {});
    });
    $("panel-close").addEventListener("click", closeCase);
    $("scrim").addEventListener("click", closeCase);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && state.openCase) closeCase(); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden && state.timer) refresh(); });
    $("export-responses").addEventListener("click", () => download("scoring", "/v1/exports/responses"));
    $("export-cases").addEventListener("click", () => download("casework", "/v1/exports/cases"));
    window.addEventListener("hashchange", () => { linkFromHash(); if (state.timer) refresh(); });
    for (const b of $("granularity").querySelectorAll("button")) {
      b.addEventListener("click", () => {
        state.granularity = b.dataset.g;
        for (const o of $("granularity").querySelectorAll("button")) o.setAttribute("aria-pressed", String(o === b));
        state.trendKey = null;
        refresh();
      });
    }
    // The chart is drawn at a fixed width: follow the card when the screen turns or resizes.
    new ResizeObserver(() => {
      if (state.chart) state.chart.setSize({ width: Math.max(280, $("trend-chart").clientWidth), height: 260 });
    }).observe($("trend-chart"));

    try {
      const resp = await fetch("config.json", { cache: "no-store" });
      const config = await resp.json();
      state.services = config.services;
      state.signIn = config.sign_in || null;
    } catch (err) {
      setLive("error", "live.noConfig");
      return;
    }
    if (state.signIn) {
      $("sso").hidden = false;
      $("sso-signin").addEventListener("click", signIn);
      try {
        const token = await finishSignIn();
        if (token) {
          state.key = token;
          keepKey(token, false);  // this browser session only: a token is short-lived anyway
        }
      } catch (err) {
        askForKey(t("sso.failed", { message: err.message }));
        return;
      }
    }
    if (state.key) start();
    else askForKey();
  }

  boot();
})();
