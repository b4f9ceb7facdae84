// The API client: every call carries the bearer token, kept in this tab's
// sessionStorage only (a `#token=` in the address is taken once and removed).

const TOKEN_KEY = "earshot.token";

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public parameter?: string,
  ) {
    super(message);
  }
}

export function takeTokenFromAddress(): void {
  const hash = location.hash;
  const match = /[#&?]token=([^&]+)/.exec(hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  const cleaned = hash.replace(/([#&?])token=[^&]+&?/, "$1").replace(/[&?]$/, "");
  history.replaceState(null, "", cleaned === "#" ? location.pathname : cleaned);
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function request(path: string, params: URLSearchParams): Promise<Response> {
  const query = params.toString();
  const response = await fetch(`api/v1/${path}${query ? `?${query}` : ""}`, {
    headers: { Authorization: `Bearer ${token() ?? ""}` },
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let parameter: string | undefined;
    try {
      const body = await response.json();
      message = body.error?.message ?? message;
      parameter = body.error?.parameter;
    } catch {
      /* not JSON */
    }
    throw new ApiError(response.status, message, parameter);
  }
  return response;
}

export async function get<T>(path: string, params = new URLSearchParams()): Promise<T> {
  return (await request(path, params)).json() as Promise<T>;
}

/** Downloads `path` as CSV (a link cannot carry the token). */
export async function downloadCsv(path: string, params: URLSearchParams, name: string): Promise<void> {
  const withFormat = new URLSearchParams(params);
  withFormat.set("format", "csv");
  const blob = await (await request(path, withFormat)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export interface Measures {
  mentions: number;
  unique_authors: number;
  likes: number;
  reposts: number;
  replies: number;
  reach: number;
  positive: number;
  neutral: number;
  negative: number;
  complaints: number;
}
export interface BrandsResponse {
  brands: { brand: string; mentions: number; first_hour: number | null; last_hour: number | null }[];
  data_from: number | null;
  data_to: number | null;
}
export interface Kpi {
  value: number | null;
  previous: number | null;
  change: number | null;
}
export interface KpisResponse {
  grain: string;
  brands: { brand: string; kpis: Record<string, Kpi> }[];
}
export interface Point extends Measures {
  bucket: number;
  brand: string;
}
export interface VolumeResponse {
  grain: "minute" | "hour" | "day";
  points: Point[];
}
export interface SovResponse {
  total: number;
  brands: { brand: string; mentions: number; share: number }[];
}
export interface MixResponse {
  rows: { brand: string; value: string; mentions: number; share: number }[];
}
export interface Author {
  platform: string;
  author_handle: string;
  author_name: string;
  followers: number;
  mentions: number;
  engagement: number;
}
export interface Tag {
  value: string;
  confidence: number;
  evidence: string;
}
export interface Mention {
  mention_id: string;
  brand: string;
  platform: string;
  url: string;
  text: string;
  published_at: number;
  origin: string;
  author_handle: string;
  author_name: string;
  author_followers: number;
  likes: number;
  reposts: number;
  replies: number;
  brand_tag: Tag;
  language: Tag;
  cohort: Tag;
  source_type: Tag;
  sentiment: Tag | null;
  complaint: boolean;
}
export interface MentionPage {
  total: number;
  page: number;
  page_size: number;
  mentions: Mention[];
}
export interface Alert {
  alert_id: string;
  brand: string;
  dimension: string;
  value: string;
  grain: string;
  window_start: number;
  window_end: number;
  direction: string;
  score: number;
  z: number;
  baseline: number;
  observed: number;
  mentions: number;
  explanation: string;
  examples: { mention_id: string; url: string; text: string | null; author_handle: string | null }[];
}
