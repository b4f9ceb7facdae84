// The view lives in the address (`#/overview?brand=…`), so a link or a reload opens
// the same view, and Back undoes a click.

export const FILTER_KEYS = ["platform", "language", "cohort", "source_type", "sentiment", "origin"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface View {
  page: "overview" | "alerts";
  brand: string | null;
  compare: string[];
  range: "data" | "24h" | "7d" | "30d" | "custom";
  from: number | null;
  to: number | null;
  filters: Partial<Record<FilterKey, string>>;
  /** Narrow the feed only: a bucket clicked on a time chart. */
  feedFrom: number | null;
  feedTo: number | null;
  author: string | null;
  q: string;
  sort: "recent" | "engagement";
  feedPage: number;
}

const num = (v: string | null) => (v && /^\d+$/.test(v) ? Number(v) : null);

export function readView(): View {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const p = new URLSearchParams(query);
  const filters: View["filters"] = {};
  for (const key of FILTER_KEYS) {
    const v = p.get(key);
    if (v) filters[key] = v;
  }
  const range = p.get("range");
  return {
    page: path === "/alerts" ? "alerts" : "overview",
    brand: p.get("brand"),
    compare: (p.get("compare") ?? "").split(",").filter(Boolean),
    range: range === "24h" || range === "7d" || range === "30d" || range === "custom" ? range : "data",
    from: num(p.get("from")),
    to: num(p.get("to")),
    filters,
    feedFrom: num(p.get("feed_from")),
    feedTo: num(p.get("feed_to")),
    author: p.get("author"),
    q: p.get("q") ?? "",
    sort: p.get("sort") === "engagement" ? "engagement" : "recent",
    feedPage: Math.max(1, num(p.get("feed_page")) ?? 1),
  };
}

export function writeView(view: View): void {
  const p = new URLSearchParams();
  if (view.brand) p.set("brand", view.brand);
  if (view.compare.length) p.set("compare", view.compare.join(","));
  if (view.range !== "data") p.set("range", view.range);
  if (view.range === "custom" && view.from !== null && view.to !== null) {
    p.set("from", String(view.from));
    p.set("to", String(view.to));
  }
  for (const key of FILTER_KEYS) {
    const v = view.filters[key];
    if (v) p.set(key, v);
  }
  if (view.feedFrom !== null && view.feedTo !== null) {
    p.set("feed_from", String(view.feedFrom));
    p.set("feed_to", String(view.feedTo));
  }
  if (view.author) p.set("author", view.author);
  if (view.q) p.set("q", view.q);
  if (view.sort !== "recent") p.set("sort", view.sort);
  if (view.feedPage > 1) p.set("feed_page", String(view.feedPage));
  const hash = `#/${view.page}?${p.toString()}`;
  if (hash !== location.hash) location.hash = hash;
}

/** Applies `change` to the current view and navigates (one history entry). */
export function update(change: (v: View) => void): void {
  const view = readView();
  change(view);
  writeView(view);
}
