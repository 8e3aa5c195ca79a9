// Charts: Apache ECharts (vendored: echarts.esm.min.js, see vendor/manifest.json), loaded only by the pages that
// draw one. Tooltips are rich text, not HTML: the CSP allows no inline style. Each chart also carries its figures
// as an accessible label.
import { language } from "./i18n.js";

let loading = null;

function echarts() {
  loading = loading || import("./echarts.esm.min.js");
  return loading;
}

const PALETTE = ["#1f5fbf", "#d4862a", "#1d7a3e", "#b3261e", "#6b4fbb", "#5d6875"];

// `el` (sized by CSS) gets a chart of `option`; returns a function that disposes of it.
export async function draw(el, option, label) {
  const lib = await echarts();
  if (!el.isConnected) return () => {};
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  const existing = lib.getInstanceByDom(el);
  const chart = existing || lib.init(el, null, { renderer: "canvas", locale: language() === "en" ? "EN" : "ZH" });
  chart.setOption({
    color: PALETTE, animation: false, textStyle: { fontFamily: "system-ui, sans-serif" },
    tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 64, right: 24, top: 48, bottom: 36 },
    legend: { top: 8 }, ...option,
  }, true);
  const resize = () => chart.resize();
  window.addEventListener("resize", resize);
  return () => { window.removeEventListener("resize", resize); chart.dispose(); };
}

// Bars or lines over categories: series [{name, data, type?}], values formatted by `format` on the axis.
export function seriesOption(categories, series, { type = "bar", format = null, stack = null } = {}) {
  return {
    xAxis: { type: "category", data: categories },
    yAxis: { type: "value", axisLabel: format ? { formatter: format } : {} },
    series: series.map((s) => ({ type: s.type || type, stack: s.stack || stack, ...s })),
  };
}
