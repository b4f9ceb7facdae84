// ECharts, only the parts used, drawn as SVG (crisp, and countable by the browser test).

import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart, ScatterChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, PieChart, ScatterChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.EChartsCoreOption;
export const PALETTE = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#4b5563"];
export const SENTIMENT_COLORS = { positive: "#059669", neutral: "#9ca3af", negative: "#dc2626" };

const charts = new Map<string, echarts.ECharts>();

/** Draws `option` in `#id`; `onClick` gets the clicked item's params. */
export function draw(id: string, option: ChartOption, onClick?: (params: ClickParams) => void): void {
  const el = document.getElementById(id);
  if (!el) return;
  let chart = charts.get(id);
  if (!chart) {
    chart = echarts.init(el, undefined, { renderer: "svg" });
    charts.set(id, chart);
  }
  chart.off("click");
  if (onClick) chart.on("click", (p) => onClick(p as unknown as ClickParams));
  chart.setOption({ color: PALETTE, aria: { enabled: true }, animation: false, ...option }, true);
}

export interface ClickParams {
  seriesName: string;
  seriesType: string;
  name: string;
  value: unknown;
  data: unknown;
}

addEventListener("resize", () => charts.forEach((c) => c.resize()));
