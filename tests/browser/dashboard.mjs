// Drives the dashboard in headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core): brand -> chart -> mention feed -> evidence, the alerts page, a
// phone-width view and keyboard use; saves screenshots and checks that each chart has
// drawn something (SVG shapes, and pixels that are not all background).
//
// Run by tests/dashboard.rs with EARSHOT_URL, EARSHOT_TOKEN and EARSHOT_SCREENSHOTS.
// Prints one JSON line of what it measured; exits non-zero on the first failure.

import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, "web/package.json"));
const { chromium } = require("playwright-core");

const base = process.env.EARSHOT_URL;
const token = process.env.EARSHOT_TOKEN;
const shots = process.env.EARSHOT_SCREENSHOTS ?? path.join(root, "target/dashboard");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!base || !token) throw new Error("set EARSHOT_URL and EARSHOT_TOKEN");
mkdirSync(shots, { recursive: true });

const report = {};
const fail = (message) => {
  throw new Error(message);
};
const check = (ok, message) => ok || fail(message);

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.setDefaultTimeout(20_000);

  const ready = async () => {
    await page.waitForFunction(() => document.body.dataset.ready === "true" && document.getElementById("status").textContent.startsWith("Showing"));
  };
  // Moves the pointer onto a chart shape, then clicks it: ECharts finds the item under
  // the pointer on hover, as with a person's mouse. Aims below the centre, inside
  // triangles too.
  const pointAndClick = async (locator) => {
    await locator.scrollIntoViewIfNeeded();
    const box = await locator.boundingBox();
    const x = box.x + box.width / 2;
    const y = box.y + box.height * 0.66;
    await page.mouse.move(x - 3, y);
    await page.waitForTimeout(200);
    await page.mouse.click(x, y);
  };
  const navigated = async (action) => {
    await page.evaluate(() => delete document.body.dataset.ready);
    await action();
    await ready();
  };

  // Open with the token in the fragment: it is taken and removed from the address.
  await page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await ready();
  check(!page.url().includes(token), "the token stayed in the address");

  // The KPI row.
  const kpis = await page.$$eval(".kpi", (cards) => cards.map((c) => [c.dataset.kpi, c.querySelector("strong").textContent]));
  report.kpis = Object.fromEntries(kpis);
  check(kpis.length === 8, `expected 8 KPIs, saw ${kpis.length}`);
  check(kpis[0][1] !== "–" && kpis[0][1] !== "0", `no mentions in the KPI row: ${kpis[0][1]}`);

  // Every chart drew shapes and pixels.
  const charts = ["volume", "sov", "sentiment", "source_type", "cohort", "language", "platform"];
  const measure = async (name) => {
    const box = page.locator(`#chart-${name}`);
    const shapes = await box.evaluate((el) => el.querySelectorAll("svg path, svg rect, svg polyline").length);
    const png = await box.screenshot({ path: path.join(shots, `chart-${name}.png`) });
    const inked = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        // Saturated pixels: series colours, not the white background or grey axes.
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
      }
      return coloured / (data.length / 4);
    }, png.toString("base64"));
    return { shapes, inked: Number(inked.toFixed(4)) };
  };
  report.charts = {};
  for (const name of charts) report.charts[name] = await measure(name);
  const sentimentTagged = process.env.EARSHOT_EXPECT_SENTIMENT === "1";
  // Legend keys alone ink about 0.005 of a chart; data inks 0.03 and more.
  for (const [name, m] of Object.entries(report.charts)) {
    if (name === "sentiment" && !sentimentTagged) {
      // No sentiment columns yet (migration 5): the chart must not invent bars.
      check(m.inked < 0.01, `the sentiment chart drew bars without sentiment data: ${JSON.stringify(m)}`);
      continue;
    }
    check(m.inked > 0.01, `chart ${name} looks empty: ${JSON.stringify(m)}`);
  }
  await page.screenshot({ path: path.join(shots, "overview.png"), fullPage: true });

  // Brand: pick InPost.
  await navigated(() => page.selectOption("#brand", "InPost"));
  check(page.url().includes("brand=InPost"), `brand not in the address: ${page.url()}`);
  const inpostMentions = await page.$eval('.kpi[data-kpi="Mentions"] strong', (e) => e.textContent);
  report.inpost_mentions = inpostMentions;
  await page.evaluate(() => scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "overview-top.png") });

  // Chart: click the alert marker on the volume chart; the feed narrows to its window.
  // The lowest red triangle: the topmost one is the legend's key.
  const markers = page.locator('#chart-volume svg path[fill="#dc2626"]');
  check((await markers.count()) >= 2, "no alert marker on the volume chart");
  const ys = await markers.evaluateAll((paths) => paths.map((p) => p.getBoundingClientRect().y));
  const marker = markers.nth(ys.indexOf(Math.max(...ys)));
  // ECharts finds the clicked item on hover first, as a person's pointer does.
  await navigated(() => pointAndClick(marker));
  check(/feed_from=\d+/.test(page.url()), `the alert click did not filter the feed: ${page.url()}`);
  const feedCount = await page.$eval("#feed-count", (e) => e.textContent);
  const feedItems = await page.$$eval(".mention", (items) => items.map((i) => i.querySelector(".text").textContent));
  report.feed_after_alert_click = { count: feedCount, first: feedItems[0] };
  check(feedItems.length > 0, "the feed is empty after clicking the alert");
  check(feedItems.some((t) => t.includes("Paczkomat nie działa")), "the spike's mentions are not in the feed");

  // Chart: click the tallest negative bar of the sentiment chart (the spike): the
  // feed shows that hour's negative mentions, read through the sentiment filter.
  if (sentimentTagged) {
    const negative = page.locator('#chart-sentiment svg path[fill="#dc2626"]');
    const heights = await negative.evaluateAll((paths) => paths.map((p) => p.getBoundingClientRect().height));
    await navigated(() => pointAndClick(negative.nth(heights.indexOf(Math.max(...heights)))));
    check(/sentiment=negative/.test(page.url()) && /feed_from=\d+/.test(page.url()), `the sentiment click did not filter: ${page.url()}`);
    const tags = await page.$$eval('.mention details[data-tag="sentiment"] summary', (s) => s.map((x) => x.textContent));
    report.feed_after_sentiment_click = tags.length;
    check(tags.length > 0 && tags.every((t) => t.startsWith("sentiment: negative")), `feed after the sentiment click: ${tags}`);
    await navigated(() => page.locator("#filters .chip", { hasText: "Sentiment" }).click());
  }

  // Chart: click a bar of "who is talking"; it becomes a filter.
  const bar = page.locator('#chart-source_type svg path[fill="#2563eb"]').first();
  await navigated(() => pointAndClick(bar));
  check(/source_type=\w+/.test(page.url()), `the bar click did not filter: ${page.url()}`);
  const chips = await page.$$eval("#filters .chip", (c) => c.map((x) => x.textContent));
  report.filters_after_bar_click = chips;
  check(chips.some((c) => c.startsWith("Source:")), "no Source filter chip");

  // Mention feed -> evidence.
  const tag = page.locator(".mention").first().locator('details[data-tag="source"]');
  await tag.locator("summary").click();
  const evidence = await tag.locator(".evidence").textContent();
  check(await tag.locator(".evidence").isVisible(), "the evidence did not open");
  check(/Evidence: .+/.test(evidence) && !evidence.includes("none recorded"), `no evidence shown: ${evidence}`);
  report.evidence = evidence;
  await page.locator("#feed").screenshot({ path: path.join(shots, "feed.png") });

  // Keyboard: a cohort key, focused and pressed with Enter, filters too.
  await page.locator("#keys-cohort .key").first().focus();
  await navigated(() => page.keyboard.press("Enter"));
  check(/cohort=\w+/.test(page.url()), `Enter on a cohort key did not filter: ${page.url()}`);
  // And a filter chip removes its filter.
  await navigated(() => page.locator("#filters .chip", { hasText: "Cohort" }).click());
  check(!/cohort=/.test(page.url()), "removing the cohort chip left the filter");

  // Brand comparison: tick Orlen; the volume chart gets a second line.
  await navigated(() => page.locator("#compare label", { hasText: "Orlen" }).locator("input").check());
  check(page.url().includes("compare=Orlen"), "comparison not in the address");
  const legend = await page.$$eval("#chart-volume svg text", (t) => t.map((x) => x.textContent));
  check(legend.includes("Orlen") && legend.includes("InPost"), `comparison legend: ${legend}`);

  // The URL keeps the view: reload and see the same filters.
  const before = page.url();
  await page.reload();
  await ready();
  check(page.url() === before, "the view changed on reload");
  check((await page.$$eval("#filters .chip", (c) => c.length)) === chips.length, "filters lost on reload");

  // Alerts page.
  await navigated(() => page.click("#nav-alerts"));
  const alerts = await page.$$eval(".alert", (a) => a.map((x) => ({ title: x.querySelector("h3").textContent, explanation: x.querySelector(".explanation").textContent, examples: x.querySelectorAll(".examples li").length })));
  report.alerts = alerts;
  check(alerts.length === 1 && alerts[0].explanation.includes("parcel lockers") && alerts[0].examples === 3, `alerts page: ${JSON.stringify(alerts)}`);
  await page.screenshot({ path: path.join(shots, "alerts.png"), fullPage: true });
  await navigated(() => page.click(".alert button"));
  check(page.url().includes("#/overview") && /feed_from=\d+/.test(page.url()), "Show these mentions did not open the feed");
  check((await page.$$(".mention")).length > 0, "no mentions for the alert");

  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await navigated(() => page.goto(`${base}/#/overview?brand=InPost`));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  report.phone_overflow_px = overflow;
  check(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await page.screenshot({ path: path.join(shots, "phone.png"), fullPage: true });

  check(errors.length === 0, `errors in the page: ${errors.join(" | ")}`);
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
