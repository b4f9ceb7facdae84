// The dashboard: one brand's overview (KPIs, volume with alerts, share of voice,
// sentiment, mixes, authors, the mention feed that every chart click filters) and the
// alerts page. Every value shown comes from `earshot serve`'s API.

import "./style.css";
import * as api from "./api";
import { draw, SENTIMENT_COLORS, type ClickParams } from "./charts";
import { FILTER_KEYS, readView, update, writeView, type FilterKey, type View } from "./state";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const STEP = { minute: 60, hour: 3600, day: 86400 } as const;
const FILTER_LABELS: Record<FilterKey, string> = {
  platform: "Platform",
  language: "Language",
  cohort: "Cohort",
  source_type: "Source",
  sentiment: "Sentiment",
  origin: "Origin",
};
const MIXES = ["source_type", "cohort", "language", "platform"] as const;

let brands: api.BrandsResponse | null = null;
let lastGrain: keyof typeof STEP = "hour";

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 0 });

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

function time(secs: number): string {
  return new Date(secs * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

function status(message: string, isError = false): void {
  const s = $("status");
  s.textContent = message;
  s.classList.toggle("error", isError);
}

/** The view's window in unix seconds. */
function windowOf(view: View): [number, number] {
  const now = Math.floor(Date.now() / 1000);
  const spans = { "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400 } as const;
  if (view.range === "custom" && view.from !== null && view.to !== null && view.from < view.to) return [view.from, view.to];
  if (view.range in spans) return [now - spans[view.range as keyof typeof spans], now];
  if (brands?.data_from != null && brands.data_to != null) return [brands.data_from, brands.data_to];
  return [now - 7 * 86400, now];
}

function scopeParams(view: View, selected: string[]): URLSearchParams {
  const [from, to] = windowOf(view);
  const p = new URLSearchParams({ from: String(from), to: String(to) });
  if (selected.length) p.set("brand", selected.join(","));
  for (const key of FILTER_KEYS) {
    const v = view.filters[key];
    if (v) p.set(key, v);
  }
  return p;
}

function feedParams(view: View, brand: string): URLSearchParams {
  const p = scopeParams(view, [brand]);
  if (view.feedFrom !== null && view.feedTo !== null) {
    p.set("from", String(view.feedFrom));
    p.set("to", String(view.feedTo));
  }
  if (view.author) p.set("author", view.author);
  if (view.q) p.set("q", view.q);
  p.set("sort", view.sort);
  p.set("page", String(view.feedPage));
  p.set("page_size", "20");
  return p;
}

function renderControls(view: View, brand: string): void {
  const select = $<HTMLSelectElement>("brand");
  if (!select.options.length && brands) {
    for (const b of brands.brands) select.append(el("option", { value: b.brand }, `${b.brand} (${compact.format(b.mentions)})`));
  }
  select.value = brand;
  const compare = $("compare");
  compare.querySelectorAll("label").forEach((l) => l.remove());
  for (const b of brands?.brands ?? []) {
    if (b.brand === brand) continue;
    const box = el("input", { type: "checkbox", value: b.brand });
    box.checked = view.compare.includes(b.brand);
    box.addEventListener("change", () =>
      update((v) => {
        v.compare = box.checked ? [...v.compare, b.brand] : v.compare.filter((c) => c !== b.brand);
      }),
    );
    compare.append(el("label", {}, box, ` ${b.brand}`));
  }
  $<HTMLSelectElement>("range").value = view.range;
  $("custom-range").hidden = view.range !== "custom";
  const [from, to] = windowOf(view);
  $<HTMLInputElement>("from").value = new Date(from * 1000).toISOString().slice(0, 16);
  $<HTMLInputElement>("to").value = new Date(to * 1000).toISOString().slice(0, 16);
  // The pages share the view: switching keeps brand, range and filters.
  const query = location.hash.split("?")[1] ?? "";
  $("nav-overview").setAttribute("href", `#/overview?${query}`);
  $("nav-alerts").setAttribute("href", `#/alerts?${query}`);
  $("nav-overview").setAttribute("aria-current", String(view.page === "overview"));
  $("nav-alerts").setAttribute("aria-current", String(view.page === "alerts"));

  const chips = $("filters");
  chips.replaceChildren();
  const chip = (label: string, clear: (v: View) => void) => {
    const button = el("button", { type: "button", class: "chip", "aria-label": `Remove filter ${label}` }, `${label} ✕`);
    button.addEventListener("click", () => update((v) => { clear(v); v.feedPage = 1; }));
    chips.append(button);
  };
  for (const key of FILTER_KEYS) {
    const v = view.filters[key];
    if (v) chip(`${FILTER_LABELS[key]}: ${v}`, (w) => delete w.filters[key]);
  }
  if (view.feedFrom !== null && view.feedTo !== null) chip(`Feed: ${time(view.feedFrom)} – ${time(view.feedTo)}`, (w) => { w.feedFrom = null; w.feedTo = null; });
  if (view.author) chip(`Author: ${view.author}`, (w) => { w.author = null; });
  if (view.q) chip(`Text: ${view.q}`, (w) => { w.q = ""; });
}

function kpiCard(label: string, kpi: api.Kpi | undefined, isNet = false): HTMLElement {
  const value = kpi?.value;
  const shown = value == null ? "–" : isNet ? (value >= 0 ? "+" : "") + value.toFixed(2) : compact.format(value);
  let change = "no earlier data";
  let trend = "flat";
  if (kpi?.change != null) {
    const c = kpi.change;
    trend = c > 0 ? "up" : c < 0 ? "down" : "flat";
    change = isNet ? `${c >= 0 ? "+" : ""}${c.toFixed(2)} pts` : `${c >= 0 ? "+" : ""}${percent.format(c)}`;
    change += " vs previous period";
  }
  return el("div", { class: `kpi ${trend}`, "data-kpi": label }, el("span", { class: "label" }, label), el("strong", {}, shown), el("span", { class: "change" }, change));
}

async function renderOverview(view: View, brand: string): Promise<void> {
  const selected = [brand, ...view.compare.filter((c) => c !== brand)];
  const scope = scopeParams(view, selected);
  const own = scopeParams(view, [brand]);
  const allBrands = scopeParams(view, []);
  const [kpis, volume, sov, alerts, authors, ...mixes] = await Promise.all([
    api.get<api.KpisResponse>("kpis", own),
    api.get<api.VolumeResponse>("volume", scope),
    api.get<api.SovResponse>("share-of-voice", allBrands),
    api.get<{ alerts: api.Alert[] }>("alerts", new URLSearchParams({ from: own.get("from")!, to: own.get("to")!, brand: selected.join(",") })),
    api.get<{ authors: api.Author[] }>("top-authors", new URLSearchParams([...own, ["limit", "8"]])),
    ...MIXES.map((d) => api.get<api.MixResponse>(`mix/${d}`, scope)),
  ]);
  lastGrain = volume.grain;

  const k = kpis.brands[0]?.kpis ?? {};
  $("kpis").replaceChildren(
    kpiCard("Mentions", k.mentions),
    kpiCard("Unique authors", k.unique_authors),
    kpiCard("Likes", k.likes),
    kpiCard("Reposts", k.reposts),
    kpiCard("Replies", k.replies),
    kpiCard("Reach", k.reach),
    kpiCard("Complaints", k.complaints),
    kpiCard("Net sentiment", k.net_sentiment, true),
  );

  // Volume per brand, with the alerts of the window as markers on their brand's line.
  const step = STEP[volume.grain];
  const series: object[] = selected.map((b) => ({
    name: b,
    type: "line",
    showSymbol: false,
    data: volume.points.filter((p) => p.brand === b).map((p) => [p.bucket * 1000, p.mentions]),
  }));
  series.push({
    name: "Alerts",
    type: "scatter",
    symbol: "triangle",
    symbolSize: 16,
    itemStyle: { color: "#dc2626" },
    data: alerts.alerts.map((a) => ({ value: [a.window_start * 1000, a.observed], alert: a.alert_id, name: `${a.brand}: ${a.explanation}` })),
    tooltip: { formatter: (p: { name: string }) => p.name },
  });
  draw(
    "chart-volume",
    {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "time" },
      yAxis: { type: "value", minInterval: 1 },
      series,
    },
    (p) => {
      const [ms] = (p.data as { value?: number[] }).value ?? (p.value as number[]);
      const bucket = Math.floor(ms / 1000 / step) * step;
      update((v) => {
        if (p.seriesName !== "Alerts" && p.seriesName !== brand && selected.includes(p.seriesName)) v.brand = p.seriesName;
        v.feedFrom = bucket;
        v.feedTo = bucket + (p.seriesName === "Alerts" ? Math.max(step, 3600) : step);
        v.feedPage = 1;
      });
      focusFeed();
    },
  );

  draw(
    "chart-sov",
    {
      tooltip: { trigger: "item", valueFormatter: (n: number) => compact.format(n) },
      series: [{ type: "pie", radius: ["40%", "70%"], data: sov.brands.map((b) => ({ name: b.brand, value: b.mentions })), label: { formatter: "{b} {d}%" } }],
    },
    (p) => update((v) => { v.brand = p.name; v.compare = v.compare.filter((c) => c !== p.name); v.feedPage = 1; }),
  );
  keys("keys-sov", sov.brands.map((b) => ({ label: `${b.brand} ${percent.format(b.share)}`, pressed: b.brand === brand, act: () => update((v) => { v.brand = b.brand; v.feedPage = 1; }) })));

  const own_points = volume.points.filter((p) => p.brand === brand);
  draw(
    "chart-sentiment",
    {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "time" },
      yAxis: { type: "value", minInterval: 1 },
      series: (["positive", "neutral", "negative"] as const).map((s) => ({
        name: s,
        type: "bar",
        stack: "sentiment",
        itemStyle: { color: SENTIMENT_COLORS[s] },
        data: own_points.map((p) => [p.bucket * 1000, p[s]]),
      })),
    },
    (p) => {
      const [ms] = p.value as number[];
      const bucket = Math.floor(ms / 1000 / step) * step;
      update((v) => { v.filters.sentiment = p.seriesName; v.feedFrom = bucket; v.feedTo = bucket + step; v.feedPage = 1; });
      focusFeed();
    },
  );

  MIXES.forEach((dimension, i) => {
    const rows = mixes[i].rows;
    const values = [...new Set(rows.map((r) => r.value))];
    draw(
      `chart-${dimension}`,
      {
        tooltip: { trigger: "axis", valueFormatter: (n: number) => percent.format(n) },
        legend: selected.length > 1 ? { top: 0 } : undefined,
        grid: { left: 96, right: 16, top: selected.length > 1 ? 28 : 8, bottom: 24 },
        xAxis: { type: "value", max: 1, axisLabel: { formatter: (n: number) => percent.format(n) } },
        yAxis: { type: "category", data: values, inverse: true },
        series: selected.map((b) => ({ name: b, type: "bar", data: values.map((v) => rows.find((r) => r.brand === b && r.value === v)?.share ?? 0) })),
      },
      (p) => { update((v) => { v.filters[dimension] = p.name; v.feedPage = 1; }); },
    );
    keys(`keys-${dimension}`, values.map((value) => ({ label: value, pressed: view.filters[dimension] === value, act: () => update((v) => { v.filters[dimension] = value; v.feedPage = 1; }) })));
  });

  $("authors").replaceChildren(
    ...authors.authors.map((a) => {
      const button = el("button", { type: "button", class: "link" }, a.author_name || a.author_handle);
      button.addEventListener("click", () => { update((v) => { v.author = a.author_handle; v.feedPage = 1; }); focusFeed(); });
      return el("li", {}, button, el("span", { class: "muted" }, ` ${a.platform} · ${a.mentions} mentions · ${compact.format(a.engagement)} engagement · ${compact.format(a.followers)} followers`));
    }),
  );

  await renderFeed(view, brand);
}

function keys(id: string, items: { label: string; pressed: boolean; act: () => void }[]): void {
  $(id).replaceChildren(
    ...items.map((item) => {
      const b = el("button", { type: "button", class: "key", "aria-pressed": String(item.pressed) }, item.label);
      b.addEventListener("click", item.act);
      return b;
    }),
  );
}

function focusFeed(): void {
  requestAnimationFrame(() => $("feed").focus());
}

function tagView(name: string, tag: api.Tag): HTMLElement {
  return el(
    "details",
    { class: "tag", "data-tag": name },
    el("summary", {}, `${name}: ${tag.value} `, el("span", { class: "muted" }, percent.format(tag.confidence))),
    el("p", { class: "evidence" }, "Evidence: ", el("q", {}, tag.evidence || "none recorded")),
  );
}

async function renderFeed(view: View, brand: string): Promise<void> {
  const params = feedParams(view, brand);
  const page = await api.get<api.MentionPage>("mentions", params);
  $("feed-count").textContent = `${compact.format(page.total)} found`;
  $("mentions").replaceChildren(
    ...page.mentions.map((m) => {
      const tags = el("div", { class: "tags" }, tagView("brand", m.brand_tag), tagView("language", m.language), tagView("cohort", m.cohort), tagView("source", m.source_type));
      if (m.sentiment) tags.append(tagView("sentiment", m.sentiment));
      if (m.complaint) tags.append(el("span", { class: "tag complaint" }, "complaint"));
      const link = m.url ? el("a", { href: m.url, target: "_blank", rel: "noopener noreferrer" }, "open ↗") : "";
      return el(
        "li",
        { class: "mention", "data-id": m.mention_id },
        el("div", { class: "meta" }, el("strong", {}, m.author_name || m.author_handle), ` ${m.author_handle} · ${m.platform} · ${time(m.published_at)} · ${m.likes} likes · ${m.reposts} reposts · ${m.replies} replies · `, link),
        el("p", { class: "text" }, m.text),
        tags,
      );
    }),
  );
  if (!page.mentions.length) $("mentions").append(el("li", { class: "muted" }, "No mentions match this view."));
  const pages = Math.max(1, Math.ceil(page.total / page.page_size));
  $("page").textContent = `page ${page.page} of ${pages}`;
  $<HTMLButtonElement>("prev").disabled = page.page <= 1;
  $<HTMLButtonElement>("next").disabled = page.page >= pages;
  $<HTMLInputElement>("q").value = view.q;
  $<HTMLSelectElement>("sort").value = view.sort;
}

async function renderAlerts(view: View, brand: string): Promise<void> {
  const selected = [brand, ...view.compare];
  const p = scopeParams(view, selected);
  const alerts = await api.get<{ alerts: api.Alert[] }>("alerts", new URLSearchParams({ from: p.get("from")!, to: p.get("to")!, brand: selected.join(",") }));
  const list = $("alert-list");
  list.replaceChildren(
    ...alerts.alerts.map((a) => {
      const what = a.dimension && a.dimension !== "total" ? `${a.dimension} = ${a.value}` : "mentions";
      const show = el("button", { type: "button" }, "Show these mentions");
      show.addEventListener("click", () => {
        update((v) => { v.page = "overview"; v.brand = a.brand; v.feedFrom = a.window_start; v.feedTo = a.window_end; v.feedPage = 1; });
        focusFeed();
      });
      return el(
        "li",
        { class: `alert ${a.direction}`, "data-alert": a.alert_id },
        el("h3", {}, `${a.brand}: ${what} ${a.direction === "up" ? "▲" : "▼"} ${a.direction}`),
        el("p", { class: "muted" }, `${time(a.window_start)} – ${time(a.window_end)} · per ${a.grain} · observed ${a.observed.toFixed(1)} vs usual ${a.baseline.toFixed(1)} · z ${a.z.toFixed(1)} · score ${a.score.toFixed(2)}`),
        el("p", { class: "explanation" }, a.explanation),
        el("ul", { class: "examples" }, ...a.examples.map((e) => el("li", {}, e.url ? el("a", { href: e.url, target: "_blank", rel: "noopener noreferrer" }, e.author_handle ?? e.mention_id) : e.mention_id, ": ", e.text ?? "(text not stored)"))),
        show,
      );
    }),
  );
  if (!alerts.alerts.length) list.append(el("li", { class: "muted" }, "No alerts in this range."));
}

let rendering = 0;
async function render(): Promise<void> {
  const ticket = ++rendering;
  const view = readView();
  if (!api.token()) return showLogin();
  try {
    brands ??= await api.get<api.BrandsResponse>("brands");
    const brand = view.brand && brands.brands.some((b) => b.brand === view.brand)
      ? view.brand
      : [...brands.brands].sort((a, b) => b.mentions - a.mentions)[0]?.brand;
    if (!brand) return status("No brands are configured.", true);
    if (view.brand !== brand) {
      view.brand = brand;
      writeView(view);
      return;
    }
    $("login").hidden = true;
    renderControls(view, brand);
    $("overview").hidden = view.page !== "overview";
    $("alerts").hidden = view.page !== "alerts";
    status("Loading…");
    if (view.page === "overview") await renderOverview(view, brand);
    else await renderAlerts(view, brand);
    if (ticket === rendering) {
      status(`Showing ${time(windowOf(view)[0])} – ${time(windowOf(view)[1])}, ${lastGrain} buckets.`);
      document.body.dataset.ready = "true";
    }
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      api.clearToken();
      return showLogin("That token was not accepted.");
    }
    status(error instanceof Error ? error.message : String(error), true);
  }
}

function showLogin(message = ""): void {
  $("login").hidden = false;
  $("overview").hidden = true;
  $("alerts").hidden = true;
  $("login-error").textContent = message;
  $("token").focus();
}

function wire(): void {
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    api.setToken($<HTMLInputElement>("token").value);
    $<HTMLInputElement>("token").value = "";
    brands = null;
    void render();
  });
  $("brand").addEventListener("change", () =>
    update((v) => { v.brand = $<HTMLSelectElement>("brand").value; v.compare = v.compare.filter((c) => c !== v.brand); v.feedPage = 1; v.author = null; }),
  );
  $("range").addEventListener("change", () => {
    const range = $<HTMLSelectElement>("range").value as View["range"];
    if (range === "custom") {
      $("custom-range").hidden = false;
      return;
    }
    update((v) => { v.range = range; v.feedFrom = v.feedTo = null; v.feedPage = 1; });
  });
  $("controls").addEventListener("submit", (e) => {
    e.preventDefault();
    const from = Date.parse($<HTMLInputElement>("from").value + ":00Z") / 1000;
    const to = Date.parse($<HTMLInputElement>("to").value + ":00Z") / 1000;
    if (!(from < to)) return status("The range must start before it ends.", true);
    update((v) => { v.range = "custom"; v.from = from; v.to = to; v.feedFrom = v.feedTo = null; v.feedPage = 1; });
  });
  $("search").addEventListener("submit", (e) => {
    e.preventDefault();
    update((v) => { v.q = $<HTMLInputElement>("q").value.trim(); v.sort = $<HTMLSelectElement>("sort").value as View["sort"]; v.feedPage = 1; });
  });
  $("prev").addEventListener("click", () => update((v) => { v.feedPage = Math.max(1, v.feedPage - 1); }));
  $("next").addEventListener("click", () => update((v) => { v.feedPage += 1; }));
  $("export").addEventListener("click", (e) => {
    e.preventDefault();
    const view = readView();
    if (view.brand) void api.downloadCsv("mentions", feedParams(view, view.brand), "earshot-mentions.csv").catch((err) => status(String(err), true));
  });
  addEventListener("hashchange", () => void render());
}

api.takeTokenFromAddress();
wire();
void render();
export type { ClickParams };
