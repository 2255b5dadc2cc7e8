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
  const STATUS_LABEL = {
    open: "Open", contacted: "Contacted", analysing: "Analysing", responded: "Responded",
    closed: "Closed", unreachable: "Unreachable", control: "Control group",
  };

  const state = {
    key: sessionStorage.getItem(KEY_STORE) || localStorage.getItem(KEY_STORE) || "",
    services: null,            // base URL per service, from /dashboard/config.json
    program: localStorage.getItem(PROGRAM_STORE) || "",
    programs: {},              // name -> definition (bands)
    granularity: "week",
    statusFilter: "",
    queueLimit: 20,            // grows with "Show more"
    openCase: null,            // case_id shown in the panel
    linkedAlert: null,         // alert_id of a chat alert's link (#alert=…), until its case opens
    signIn: null,              // the identity provider the page may sign in with (config.json)
    tick: 0,
    busy: false,
    timer: null,
    trendKey: null, tpKey: null, commentsKey: null,
    chart: null,
  };

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
  const fmtInt = (n) => (isNum(n) ? Math.round(n).toLocaleString("en") : "—");
  const fmt1 = (n) => (isNum(n) ? n.toFixed(1) : "—");
  const pct = (n, total) => (total ? (100 * n) / total : 0);
  const plural = (n, word) => `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;
  const fmtPct = (x) => (isNum(x) ? `${x.toFixed(1)}%` : "—");
  const signed = (x, digits = 1) => (isNum(x) ? `${x > 0 ? "+" : ""}${x.toFixed(digits)}` : "—");
  const ACRONYMS = { sla: "SLA", iec: "IEC", nps: "NPS", bai: "BAI", ces: "CES", csat: "CSAT", fcr: "FCR" };
  const humanize = (key) => String(key).split("_").map((w) => ACRONYMS[w.toLowerCase()] || w).join(" ")
    .replace(/^./, (c) => c.toUpperCase());
  const hours = (x) => (!isNum(x) ? "—" : x >= 48 ? `${(x / 24).toFixed(1)} d` : `${x.toFixed(1)} h`);
  const dateTime = (iso) =>
    (iso ? new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) : "—");

  function ago(iso) {
    if (!iso) return "—";
    const s = (new Date(iso).getTime() - Date.now()) / 1000;
    const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
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
  const statusBadge = (status) => h(`span.badge.s-${status}`, { "data-testid": "status" }, STATUS_LABEL[status] || status);
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
    const headers = { Authorization: `Bearer ${key}` };
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
    if (!(err instanceof ApiError)) return "Lazo does not answer. Is it running?";
    if (err.status === 401) return "That key is not valid.";
    if (err.status === 403) return "This key's role cannot read cases: use an agent, manager or admin key.";
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
      setLive("ok", `Live · ${new Date().toLocaleTimeString("en-GB")}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        state.key = "";
        forgetKey();
        askForKey("The key was refused. Enter it again.");
      } else {
        setLive("error", err instanceof ApiError ? `Error: ${err.message}` : "Offline: retrying…");
        console.warn("refresh failed", err);
      }
    } finally {
      state.busy = false;
    }
  }

  function setLive(status, text) {
    $("live").dataset.state = status;
    $("live-text").textContent = text;
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
    if (current.join("\n") !== names.join("\n")) {
      fill(select, h("option", { value: "" }, "All programmes"), names.map((n) => h("option", { value: n }, n)));
    }
    select.value = state.program;
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
    $("kpi-count-note").textContent = k.not_scored ? `${fmtInt(k.not_scored)} not scored` : "scored responses";
    const mean = pick(k, "iec.mean");
    text("kpi-iec", fmt1(mean));
    const seg = segmentOf(mean, bands());
    fill($("kpi-iec-note"), seg ? segChip(seg.key) : "no responses yet");

    const nps = k.nps;
    const npsScore = isNum(nps) ? nps : pick(k, "nps.score");
    text("kpi-nps", isNum(npsScore) ? signed(npsScore, 0) : "—");
    $("kpi-nps-note").textContent = nps && typeof nps === "object" && nps.count
      ? `${plural(nps.promoters, "promoter")} · ${plural(nps.detractors, "detractor")}`
      : "no recommend answers yet";

    const bai = isNum(k.bai) ? k.bai : pick(k, "bai.score", "bai.value");
    text("kpi-bai", isNum(bai) ? signed(bai, 0) : "—");
    $("kpi-bai-note").textContent = isNum(bai)
      ? (isNum(pick(k, "bai.defenders")) ? `${plural(k.bai.defenders, "defender")} · ${plural(k.bai.critics, "critic")}`
        : "defenders − critics")
      : k.bai === undefined ? "not available yet" : "no answers yet";

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
      return n ? h("span", { style: `width:${pct(n, total)}%;background:${s.color}`, title: `${s.name}: ${n}` }) : null;
    }));
    fill($("mix-list"), SEGMENTS.map((s) => {
      const n = segments[s.key] || 0;
      return h("li", { "data-segment": s.key },
        h("span", {}, h("span.swatch", { style: `background:${s.color}` }), s.name),
        h("span", {}, h("b", {}, fmtInt(n)), " ", h("span.muted", {}, total ? `${pct(n, total).toFixed(0)}%` : "")));
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
      $("comments-note").textContent = "not available";
      return;
    }
    const total = mix.analysed || 0;
    $("comments-note").textContent = `${plural(total, "comment")} analysed`;
    fill($("emotion-bar"), EMOTIONS.map((e) => {
      const n = mix.emotions[e.key] || 0;
      return n ? h("span", { style: `width:${pct(n, total)}%;background:${e.color}`, title: `${e.name}: ${n}` }) : null;
    }));
    fill($("emotion-list"), EMOTIONS.map((e) => {
      const n = mix.emotions[e.key] || 0;
      return h("li", { "data-emotion": e.key },
        h("span", {}, h("span.swatch", { style: `background:${e.color}` }), e.name),
        h("span", {}, h("b", {}, fmtInt(n)), " ", h("span.muted", {}, total ? `${pct(n, total).toFixed(0)}%` : "")));
    }));
    fill($("cause-list"), mix.causes.length ? mix.causes.slice(0, 10).map((c) => h("li", { "data-cause": c.key },
      h("span", {}, humanize(c.key)),
      h("span", {}, h("b", {}, fmtInt(c.mentions)), " ",
        h("span.muted", {}, `${fmtInt(c.negative)} negative · ${fmtInt(c.positive)} positive`))))
      : h("li.empty", {}, "No causes mentioned yet."));
    const rows = ((drivers && drivers.drivers) || []).filter((d) => isNum(d.impact)).slice(0, 6);
    fill($("driver-list"), rows.length ? rows.map((d) => h("li", { "data-driver": d.key },
      h("span", {}, humanize(d.key)),
      h("span", {}, h(`b.${d.impact < 0 ? "impact-neg" : "impact-pos"}`, {}, signed(d.impact, 1)), " ",
        h("span.muted", {}, `${fmt1(d.with.iec_mean)} (${fmtInt(d.with.count)}) vs ${fmt1(d.without.iec_mean)} ` +
          `(${fmtInt(d.without.count)})`))))
      : h("li.empty", {}, "Needs comments with and without a cause."));
    const found = (themes && themes.themes) || [];
    fill($("theme-list"), found.length ? found.slice(0, 6).map((t) => h("li", { "data-theme": t.phrase },
      h("span", {}, `“${t.phrase}”`, t.rising ? [" ", h("span.badge", {}, "rising")] : null),
      h("span", {}, h("b", {}, fmtInt(t.count)), " ", h("span.muted", {}, `${fmtInt(t.previous)} before`))))
      : h("li.empty", {}, "No emerging themes."));
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
      parts.push(comment.slice(from, start), h("mark", { title: humanize(key), "data-cause": key }, comment.slice(start, end)));
      from = end;
    }
    parts.push(comment.slice(from));
    return h("p.comment-quote", { "data-testid": "case-comment" }, "“", parts, "”");
  }

  function renderHistogram(distribution) {
    const points = Array.from({ length: 10 }, (_, i) => i + 1);
    const max = Math.max(1, ...points.map((p) => distribution[String(p)] || 0));
    fill($("histogram"), points.map((p) => {
      const n = distribution[String(p)] || 0;
      const seg = segmentOf(p + 0.5, bands());
      return h("div.col", { title: `IEC ${p}–${p === 10 ? 10 : p + 1}: ${n}` },
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
    const fmt = state.granularity === "month" ? "{MMM} {YY}" : "{D} {MMM}";
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
        { stroke: "#667085", grid: { show: false }, values: fmt, space: 50 },
        { stroke: "#667085", scale: "y", values: (u, ticks) => ticks.map((t) => t.toFixed(0)),
          splits: () => [1, 3, 5, 7, 9, 10],
          grid: { stroke: "rgba(0,0,0,.06)" } },
        { scale: "n", side: 1, stroke: "#98a2b3", grid: { show: false },
          values: (u, ticks) => ticks.map((t) => (t % 1 ? "" : t)) },
      ],
      series: [
        {},
        { label: "IEC mean", scale: "y", stroke: "#1c2430", width: 2, spanGaps: true,
          points: { show: true, size: 6, fill: "#1c2430" }, value: (u, v) => fmt1(v) },
        { label: "Responses", scale: "n", stroke: "rgba(47,91,211,.0)", fill: "rgba(47,91,211,.18)",
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
      h("span", {}, h("span.swatch", { style: "background:#1c2430" }), "IEC mean"),
      h("span", {}, h("span.swatch", { style: "background:rgba(47,91,211,.3)" }), `Responses (${fmtInt(total)} in view)`));
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
      fill($("tp-summary"), "No responses with a touchpoint yet.");
      fill($("tp-bars"));
      return;
    }
    const means = rows.map((r) => r.mean);
    const spread = Math.max(...means) - Math.min(...means);
    fill($("tp-summary"),
      isNum(given) ? [h("b", { "data-testid": "consistency" }, given.toFixed(2)), " consistency (1 = even everywhere) · "]
        : null,
      rows.length > 1
        ? [h("b", {}, `${spread.toFixed(1)} points`),
           ` between ${humanize(rows[0].name)} (best) and ${humanize(rows[rows.length - 1].name)} (worst)`]
        : `Only ${humanize(rows[0].name)} has responses so far`);
    fill($("tp-bars"), rows.map((r) => {
      const seg = segmentOf(r.mean, bands());
      return h("div.hbar", { title: `${fmtInt(r.count)} responses` },
        h("span.name", {}, humanize(r.name)),
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
    $("kpi-overdue-note").textContent = page.total ? "SLA breached: act first" : "all within SLA";
  }

  function nextDue(c) {
    if (c.status === "open") return ["first contact", c.due.first_contact];
    if (["contacted", "analysing", "responded"].includes(c.status)) return ["close", c.due.close];
    return null;
  }

  function renderCases(page) {
    // Rows are rebuilt every tick (relative times move): keep the keyboard focus where it was.
    const focused = document.activeElement?.dataset?.caseId;
    $("queue-total").textContent = page.total > page.items.length
      ? `${page.items.length} of ${fmtInt(page.total)}` : fmtInt(page.total);
    $("cases-empty").hidden = page.items.length > 0;
    const more = page.total - page.items.length;
    $("cases-more").hidden = more <= 0 || state.queueLimit >= 500;
    $("cases-more").textContent = `Show ${Math.min(20, more)} more`;
    fill($("cases-body"), page.items.map((c) => {
      const due = nextDue(c);
      return h(`tr${c.overdue ? ".overdue" : ""}`, {
        tabindex: "0", dataset: { caseId: c.case_id, customerId: c.customer_id },
        onclick: () => openCase(c.case_id),
        onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openCase(c.case_id); } },
      },
      h("td", {}, h("div.who", {}, c.customer.name || c.customer_id), h("div.sub", {}, c.customer_id)),
      h("td", {}, statusBadge(c.status), c.overdue ? [" ", h("span.badge.late", {}, "overdue")] : null),
      h("td", { "data-label": "Opened" }, ago(c.opened_at)),
      h("td", { "data-label": due ? `Due (${due[0]})` : "Due" },
        due ? h(`span${c.overdue ? ".late" : ""}`, { title: dateTime(due[1]) }, ago(due[1])) : ""),
      h("td", { "data-label": "Owner" }, c.owner || ""),
      h("td", { "data-label": "Cause" }, c.cause || ""));
    }));
    if (focused) $("cases-body").querySelector(`tr[data-case-id="${CSS.escape(focused)}"]`)?.focus();
  }

  // -- one case: timeline and actions -------------------------------------------------------

  async function openCase(caseId) {
    state.openCase = caseId;
    $("panel").hidden = false;
    $("scrim").hidden = false;
    fill($("panel-body"), h("p.muted", {}, "Loading…"));
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
    if (!resp.ok) throw new Error(`the identity provider answered ${resp.status}`);
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
      $("key-error").textContent = `Cannot reach the identity provider: ${err.message}`;
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
    if (!saved || params.get("state") !== saved.nonce) throw new Error("the sign-in did not start here; try again");
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
    status.textContent = "Preparing…";
    try {
      const url = new URL(path, state.services[service]);
      for (const [k, v] of Object.entries(programParam())) url.searchParams.set(k, v);
      const resp = await fetch(url, { headers: { Authorization: `Bearer ${state.key}` } });
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
        ? "Exports need a manager key." : `Export failed: ${err.message}`;
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
      $("panel-title").textContent = "Alert";
      $("panel-sub").textContent = alertId;
      fill($("panel-body"), h("p.muted", { "data-testid": "linked-waiting" },
                              "No case has taken this alert yet; it opens here as soon as one does."));
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
    const alert = ((alerts && alerts.items) || []).find((a) => ids.has(a.alert_id) && a.comment);
    renderCase(c, scores, { keepForm: !fresh && sameCase && body.dataset.status === c.status, alert });
    Object.assign(body.dataset, { caseId, version, status: c.status });
  }

  function renderCase(c, scores, { keepForm, alert }) {
    $("panel-title").textContent = c.customer.name || c.customer_id;
    $("panel-sub").textContent = `${c.customer_id} · ${c.customer.email || "no email"} · case ${c.case_id}`;
    const oldForm = keepForm ? $("panel-body").querySelector(".actions") : null;
    const due = nextDue(c);
    const details = h("dl.kv", {},
      kv("Programme", c.program),
      kv("Owner", c.owner || "unassigned"),
      kv("Cause", c.cause || "not recorded yet"),
      c.cause_key ? kv("Cause key", `${humanize(c.cause_key)}${c.suggestion_kept === true ? " (suggested)"
        : c.suggestion_kept === false ? " (not a suggestion)" : ""}`) : null,
      kv("Opened", dateTime(c.opened_at)),
      due ? kv(`Due (${due[0]})`, dateTime(due[1])) : null,
      isNum(c.current_feeling) ? kv("Feels now", fmt1(c.current_feeling)) : null,
      scores && isNum(scores.iec) ? kv("Latest IEC", h("span", {}, fmt1(scores.iec), " ", segChip(scores.segment))) : null);

    fill($("panel-body"),
      h("div.status-line", {}, h("span", { "data-testid": "case-status" }, statusBadge(c.status)),
        c.breaches.map((b) => h("span.badge.late", {}, `${humanize(b)} overdue`))),
      h("section", {}, details),
      alert ? h("section", {}, h("h3", {}, "What the customer wrote"),
        commentWithEvidence(alert.comment, pick(alert, "comment_analysis.causes")),
        alert.comment_analysis ? h("p.muted", {}, `${humanize(alert.comment_analysis.emotion)} · ` +
          `${alert.comment_analysis.analyzer}`) : null) : null,
      oldForm || actionsFor(c),
      scores && scores.history && scores.history.length > 1 ? h("section", {}, h("h3", {}, "IEC history"),
        h("p", {}, scores.history.slice(0, 8).reverse().map((r) => [segChip(r.segment), " ", fmt1(r.iec), "  "]))) : null,
      h("section", {}, h("h3", {}, "Timeline"), h("ol.timeline", { "data-testid": "timeline" }, timeline(c.timeline))));
  }

  const kv = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));

  /** Newest first; an owner is shown where it changed, not on every entry. */
  function timeline(entries) {
    let owner = null;
    const items = entries.map((t) => {
      const item = timelineItem(t, t.owner && t.owner !== owner);
      if (t.owner) owner = t.owner;
      return item;
    });
    return items.reverse();
  }

  function timelineItem(t, ownerChanged) {
    const by = t.by ? ` · ${t.by}` : "";
    let what;
    switch (t.type) {
      case "opened":
        what = t.to === "control" ? "Held out: control group (no action)" : "Case opened from a detractor alert";
        break;
      case "alert_added": what = "Another alert for this customer"; break;
      case "transitioned": what = `${STATUS_LABEL[t.from] || t.from} → ${STATUS_LABEL[t.to] || t.to}`; break;
      case "follow_up": what = `Follow-up survey (feels ${fmt1(t.current_feeling)})`; break;
      case "overdue": what = `SLA breached: ${humanize(t.overdue || "")}`; break;
      case "closed":
        what = "Closed: the customer confirmed" + (isNum(t.current_feeling) ? ` (feels ${fmt1(t.current_feeling)})` : "");
        break;
      default: what = humanize(t.type || "event");
    }
    if (t.solved === false) what = "Customer not satisfied: back to analysis";
    return h(`li.t-${t.type}`, {},
      h("div.what", {}, what),
      h("div.meta", {}, dateTime(t.at), by),
      t.cause ? h("div.note", {}, h("b", {}, "Cause: "), t.cause) : null,
      ownerChanged ? h("div.meta", {}, `Owner: ${t.owner}`) : null,
      t.note ? h("div.note", {}, t.note) : null);
  }

  function actionsFor(c) {
    const allowed = new Set(c.allowed || []);
    const canConfirm = c.status === "responded";
    if (!allowed.size && !canConfirm) {
      return h("section", {}, h("p.muted", {}, c.status === "control"
        ? "A control-group case: held out on purpose, no actions."
        : "Closed: the loop is complete."));
    }
    const error = h("p.error", { "data-testid": "action-error", role: "alert" });
    const note = h("textarea", { id: "act-note", placeholder: "What was done or said (optional)", maxlength: "5000" });
    const owner = h("input", { id: "act-owner", type: "text", maxlength: "200",
                               placeholder: c.owner || "e.g. billing-team" });
    const cause = h("input", { id: "act-cause", type: "text", maxlength: "500", "data-testid": "cause-input",
                               placeholder: "Cause found with the customer" });
    // The analysis's suggestions: choosing one records its key with the first contact.
    let causeKey = null;
    const chips = (c.suggested_causes || []).map((s) => h("button.suggestion", {
      type: "button", "data-cause": s.key, "aria-pressed": "false", title: `“${s.evidence}”`,
      onclick: (e) => {
        const on = e.currentTarget.getAttribute("aria-pressed") !== "true";
        for (const b of e.currentTarget.parentElement.children) b.setAttribute("aria-pressed", "false");
        e.currentTarget.setAttribute("aria-pressed", String(on));
        causeKey = on ? s.key : null;
      },
    }, humanize(s.key)));
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
      h("label", {}, "How the customer feels now", feeling),
      h("button.btn.btn-primary", { type: "button", "data-action": "confirm", onclick: (e) =>
        send(e.currentTarget, "confirmation", { solved: true, current_feeling: feeling.value ? Number(feeling.value) : null,
                                                 note: note.value.trim() || null }) }, "Confirmed: solved"),
      h("button.btn", { type: "button", "data-action": "not-solved", onclick: (e) =>
        send(e.currentTarget, "confirmation", { solved: false, note: note.value.trim() || null }) }, "Not solved")) : null;

    return h("section.actions", { "data-testid": "actions" },
      h("h3", {}, "Work the case"),
      allowed.has("contacted") && chips.length ? h("div", {}, h("span.muted", {}, "Suggested causes (from the comment):"),
        h("div.suggestions", { "data-testid": "suggested-causes" }, chips)) : null,
      allowed.has("contacted") ? h("label", {}, chips.length ? "Cause (or choose a suggestion)"
        : "Cause (required to mark contacted)", cause) : null,
      h("div.row", {}, h("label", {}, "Owner", owner)),
      h("label", {}, "Note", note),
      h("div.row", {},
        move("contacted", "Contacted", true), move("analysing", "Analysing", !allowed.has("contacted")),
        move("responded", "Responded", true), move("unreachable", "Unreachable", false)),
      confirmRow, error);
  }

  // -- alerts, case KPIs, experiment --------------------------------------------------------

  async function loadAlerts() {
    const page = await api("alerts", "/v1/alerts", { params: { ...programParam(), limit: 8 } });
    text("kpi-alerts", fmtInt(page.total));
    const held = page.items.filter((a) => a.control_group).length;
    $("kpi-alerts-note").textContent = held ? `${held} of the latest held out (control)` : "detractors selected";
    fill($("alerts"), page.items.length ? page.items.map((a) => h("li", {},
      h("span", {}, h("b", {}, a.customer.name || a.customer_id), " ", segChip(a.segment), " ",
        h("span.num", {}, fmt1(a.iec)), a.control_group ? [" ", h("span.badge.s-control", {}, "control")] : null),
      h("span.muted", { title: dateTime(a.raised_at) }, ago(a.raised_at)),
      h("span.comment", { title: a.comment || "" },
        a.comment ? `“${a.comment}”` : (a.reasons || []).map(humanize).join(", "))))
      : h("li.empty", {}, "No alerts yet."));
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
    if (!k) return fill(el, h("p.unavailable", {}, "Case KPIs are not available yet."));
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
        kv("First contact p50 / p90", `${hours(ttfc.p50)} / ${hours(ttfc.p90)}`),
        kv("Close p50 / p90", `${hours(ttc.p50)} / ${hours(ttc.p90)}`),
        kv("Confirmed by the customer", k.confirmed && isNum(k.confirmed.share)
          ? `${fmtPct(100 * k.confirmed.share)} (${fmtInt(k.confirmed.closed)})` : "—"),
        kv("SLA first contact", compliance(sla.first_contact)),
        kv("SLA close", compliance(sla.close)),
        kv("Cases", `${fmtInt(k.cases)}${k.control_cases ? ` + ${fmtInt(k.control_cases)} control` : ""}`),
        k.suggestions ? h("div", { "data-testid": "suggestion-kept" }, h("dt", {}, "Agent kept the suggested cause"),
          h("dd", {}, isNum(k.suggestions.kept_share)
            ? `${fmtPct(100 * k.suggestions.kept_share)} (${fmtInt(k.suggestions.kept)} of ${fmtInt(k.suggestions.chosen)})`
            : "—")) : null),
      h("div.kpi-sections", {},
        miniTable(`Backlog (${fmtInt(k.backlog.total)})`,
          byStatus.length ? byStatus.map(([st, n]) => [statusBadge(st), fmtInt(n)]) : [["empty", ""]]),
        miniTable("By owner", (k.backlog.by_owner || []).slice(0, 6).map((o) => [o.owner, fmtInt(o.cases)])),
        miniTable("Top causes", (k.top_causes || []).slice(0, 6).map((c) => [c.cause, fmtInt(c.cases)]))),
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
    $("exp-program").textContent = `programme ${program}`;
    let e;
    try {
      e = await optional("casework", `/v1/experiments/${encodeURIComponent(program)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw err;
      e = null;
    }
    const el = $("experiment");
    if (!e) return fill(el, h("p.unavailable", {}, "The renewal experiment is not available yet."));
    if (!(e.treated && e.control && e.difference)) return fill(el, describe(e));
    // Rates, intervals and the difference are in percent / points.
    const arms = [["Treated", e.treated, "#2f5bd3"], ["Control", e.control, "#98a2b3"]];
    const d = e.difference;
    fill(el,
      h("div.exp-groups", {}, arms.map(([label, g, color]) => {
        const rate = g.renewal_rate;
        const [lo, hi] = Array.isArray(g.ci95) ? g.ci95 : [];
        return h("div.exp-group", { "data-group": label.toLowerCase() },
          h("span", {}, h("b", {}, label),
            h("div.muted", {}, `${fmtInt(g.with_outcome)} of ${fmtInt(g.customers)} with outcome`)),
          h("span.track", { title: isNum(lo) ? `95% CI ${fmtPct(lo)} to ${fmtPct(hi)}` : "" },
            h("span.fill", { style: `width:${isNum(rate) ? rate : 0}%;background:${color}` }),
            isNum(lo) ? h("span.ci", { style: `left:${lo}%;width:${Math.max(0.5, hi - lo)}%` }) : null),
          h("span.val", {}, isNum(rate) ? fmtPct(rate) : "—"));
      })),
      h("p.exp-verdict", { "data-testid": "verdict" }, e.verdict || ""),
      h("p.exp-facts", {},
        isNum(d.points) ? h("span", {}, `Difference ${signed(d.points)} points`) : null,
        Array.isArray(d.ci95) ? h("span", {}, `95% CI ${signed(d.ci95[0])} to ${signed(d.ci95[1])}`) : null,
        arms.map(([label, g]) => (g.revenue && isNum(g.revenue.per_customer)
          ? h("span", {}, `${label}: ${Math.round(g.revenue.per_customer).toLocaleString("en")} revenue per customer`)
          : null)),
        isNum(d.revenue_lift_percent) ? h("span", {}, `Revenue lift ${signed(d.revenue_lift_percent)}%`) : null));
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
        return [service, err instanceof ApiError && err.status === 403 ? "admin key needed" : "—"];
      }
    }));
    fill($("dead-letters"), counts.map(([service, n]) => h("li", { "data-service": service },
      h("span", {}, service),
      h(isNum(n) && n > 0 ? "b.bad" : "b", { "data-testid": `dead-letters-${service}` }, isNum(n) ? fmtInt(n) : n))));
  }

  // -- wiring -------------------------------------------------------------------------------

  async function boot() {
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
      setLive("error", "Cannot read config.json");
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
        askForKey(`Sign-in failed: ${err.message}`);
        return;
      }
    }
    if (state.key) start();
    else askForKey();
  }

  boot();
})();
