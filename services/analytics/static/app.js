"use strict";
// The command-room dashboard: every figure comes from analytics's /api/v1, scoped to the operator.
const $ = (id) => document.getElementById(id);
const PAGE = document.body.dataset.page;
const state = { jurisdiction: null };

async function api(path, params = {}) {
  const url = new URL(path, location.origin);
  Object.entries(params).forEach(([k, v]) => { if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v); });
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.status === 401) { location.href = "/login"; throw new Error("signed out"); }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const num = (v) => (v === null || v === undefined ? "—" : String(v));
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
const charts = {};
function chart(id) {
  if (!charts[id]) {
    charts[id] = echarts.init($(id), "dark", { renderer: "canvas" });
    window.addEventListener("resize", () => charts[id].resize());
  }
  return charts[id];
}
function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }

async function setup() {
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", a.dataset.nav === PAGE));
  $(`page-${PAGE}`).hidden = false;
  const me = await api("/api/v1/me");
  $("who").textContent = `${me.label || me.user}（${me.scope}）`;
  const { items } = await api("/api/v1/jurisdictions");
  const select = $("jurisdiction");
  const indent = { district: "", street: "　", community: "　　" };
  items.forEach((d) => select.add(new Option(`${indent[d.level] || ""}${d.name}（${d.code}）`, d.code)));
  const saved = localStorage.getItem("jurisdiction");
  state.jurisdiction = items.some((d) => d.code === saved) ? saved : me.scope;
  select.value = state.jurisdiction;
  select.addEventListener("change", () => { state.jurisdiction = select.value; localStorage.setItem("jurisdiction", select.value); render(); });
  render();
}

function render() { ({ overview, map: mapPage, live, assessment, alerts })[PAGE](); }

const KPIS = [["received", "受理量", num], ["response_rate", "响应率", pct], ["resolution_rate", "解决率", pct],
  ["satisfaction_rate", "满意率", pct], ["closure_rate", "办结率", pct], ["on_time_rate", "按时办结率", pct],
  ["local_resolution_share", "小事不出村", pct], ["first_time_resolution_rate", "一次性解决率", pct],
  ["repeat_rate", "重复投诉率", pct], ["mean_handling_hours", "平均处置(小时)", num],
  ["p90_handling_hours", "P90处置(小时)", num], ["overdue", "超时件数", num], ["grid_reports", "网格员上报", num],
  ["self_resolved", "自行处置", num]];

async function overview() {
  if (!$("until").value) { $("until").value = today(); $("since").value = today().slice(0, 8) + "01"; }
  ["since", "until"].forEach((id) => { $(id).onchange = overview; });
  const base = { jurisdiction: state.jurisdiction, since: $("since").value, until: $("until").value };
  const [trend, cat, chan, cls] = await Promise.all([api("/api/v1/metrics/summary", { ...base, period: "day" }),
    api("/api/v1/metrics/summary", { ...base, by: "category" }), api("/api/v1/metrics/summary", { ...base, by: "channel" }),
    api("/api/v1/metrics/summary", { ...base, by: "class" })]);
  $("kpis").replaceChildren(...KPIS.map(([key, label, fmt]) => {
    const box = document.createElement("div"); box.className = "kpi";
    box.innerHTML = `<div class="v"></div><div class="k"></div>`;
    box.firstChild.textContent = fmt(trend.total[key]); box.lastChild.textContent = label; return box;
  }));
  chart("chart-trend").setOption({ title: { text: "每日受理与办结率" }, tooltip: { trigger: "axis" }, legend: { top: 28 },
    xAxis: { type: "category", data: trend.series.map((s) => s.start.slice(5)) },
    yAxis: [{ type: "value", name: "件" }, { type: "value", name: "办结率", max: 1 }],
    series: [{ name: "受理量", type: "bar", data: trend.series.map((s) => s.received) },
      { name: "办结率", type: "line", yAxisIndex: 1, data: trend.series.map((s) => s.closure_rate) }] }, true);
  const top = cat.by.rows.slice(0, 10).reverse();
  chart("chart-category").setOption({ title: { text: "事项分类 Top 10" }, tooltip: {}, grid: { left: 140 },
    xAxis: { type: "value" }, yAxis: { type: "category", data: top.map((r) => r.label) },
    series: [{ name: "受理量", type: "bar", data: top.map((r) => r.received) }] }, true);
  chart("chart-channel").setOption({ title: { text: "来源渠道" }, tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: chan.by.rows.map((r) => ({ name: r.label, value: r.received })) }] }, true);
  const names = [["closure_rate", "办结率"], ["on_time_rate", "按时办结率"], ["satisfaction_rate", "满意率"]];
  chart("chart-class").setOption({ title: { text: "分类社区对比（各用各的尺子）" }, tooltip: { trigger: "axis" }, legend: { top: 28 },
    xAxis: { type: "category", data: cls.by.rows.map((r) => r.label) }, yAxis: { type: "value", max: 1 },
    series: names.map(([key, name]) => ({ name, type: "bar", data: cls.by.rows.map((r) => r[key]) })) }, true);
}

async function mapPage() {
  const geo = await api("/api/v1/map", { jurisdiction: state.jurisdiction });
  $("map-note").textContent = geo.features.length ? `${geo.features.length} 个网格` : "暂无网格边界数据";
  echarts.registerMap("grids", geo);
  chart("chart-map").setOption({ title: { text: "网格工单热力图" }, tooltip: { trigger: "item", formatter: (p) => `${p.data ? p.data.label : p.name}：${p.value || 0} 件` },
    visualMap: { min: 0, max: Math.max(1, geo.max), calculable: true, left: 10, bottom: 20, inRange: { color: ["#1b3a63", "#f6c85f", "#e8543c"] } },
    series: [{ type: "map", map: "grids", nameProperty: "code", roam: true,
      data: geo.features.map((f) => ({ name: f.properties.code, value: f.properties.count, label: f.properties.name })) }] }, true);
}

let source = null;
function live() {
  if (source) source.close();
  const counts = {};
  const draw = () => chart("chart-live").setOption({ title: { text: "各环节事件数" }, tooltip: {},
    xAxis: { type: "category", data: Object.keys(counts) }, yAxis: { type: "value" },
    series: [{ type: "bar", data: Object.values(counts) }] }, true);
  draw();
  $("live-rows").replaceChildren();
  source = new EventSource(`/api/v1/stream?jurisdiction=${encodeURIComponent(state.jurisdiction)}`);
  source.onopen = () => { $("live-status").textContent = "已连接"; };
  source.onerror = () => { $("live-status").textContent = "重新连接中…"; };
  const onEvent = (message) => {
    const e = JSON.parse(message.data);
    counts[e.label] = (counts[e.label] || 0) + 1;
    const row = document.createElement("tr");
    row.dataset.ticket = e.ticket_id || "";
    [new Date(e.time).toLocaleTimeString("zh-CN", { hour12: false }), e.label, e.ticket_id, e.jurisdiction, e.note || ""].forEach((t) => cell(row, t));
    $("live-rows").prepend(row);
    while ($("live-rows").children.length > 200) $("live-rows").lastChild.remove();
    draw();
  };
  source.addEventListener("ticket", onEvent);
  source.addEventListener("alert", onEvent);
}

async function assessment() {
  if (!$("month").value) $("month").value = today().slice(0, 7);
  $("month").onchange = assessment;
  const params = { jurisdiction: state.jurisdiction, month: $("month").value };
  const data = await api("/api/v1/assessment", params);
  const query = (format) => `/api/v1/assessment?${new URLSearchParams({ ...params, format })}`;
  $("export-csv").href = query("csv"); $("export-xlsx").href = query("xlsx");
  const cols = [["unit_name", "单位", String], ["rank", "组内排名", num], ["score", "综合得分", num], ["received", "受理量", num],
    ["response_rate", "响应率", pct], ["resolution_rate", "解决率", pct], ["satisfaction_rate", "满意率", pct],
    ["closure_rate", "办结率", pct], ["on_time_rate", "按时办结率", pct], ["first_time_resolution_rate", "一次性解决率", pct],
    ["overdue", "超时", num]];
  const head = document.createElement("tr"); cols.forEach(([, label]) => { const th = document.createElement("th"); th.textContent = label; head.appendChild(th); });
  $("assess-head").replaceChildren(head);
  const body = []; let group = null;
  data.rows.forEach((r) => {
    if (r.group !== group) { group = r.group; const g = document.createElement("tr"); g.className = "group"; cell(g, r.group_label).colSpan = cols.length; body.push(g); }
    const row = document.createElement("tr"); cols.forEach(([key, , fmt]) => cell(row, fmt(r[key]))); body.push(row);
  });
  $("assess-rows").replaceChildren(...body);
  chart("chart-score").setOption({ title: { text: `${data.month} 综合得分` }, tooltip: {}, grid: { bottom: 90 },
    xAxis: { type: "category", data: data.rows.map((r) => r.unit_name), axisLabel: { rotate: 40 } }, yAxis: { type: "value", max: 100 },
    series: [{ type: "bar", data: data.rows.map((r) => r.score) }] }, true);
}

const KINDS = { spike: "工单激增", repeat_cluster: "重复投诉", coverage: "覆盖不足", residency_anomaly: "人口异常" };
async function alerts() {
  const { items } = await api("/api/v1/alerts", { jurisdiction: state.jurisdiction });
  $("alert-rows").replaceChildren(...items.map((a) => {
    const row = document.createElement("tr");
    [a.occurred_at.slice(0, 16).replace("T", " "), KINDS[a.kind] || a.kind, a.jurisdiction, a.title, JSON.stringify(a.evidence)].forEach((t) => cell(row, t));
    return row;
  }));
  const days = [...new Set(items.map((a) => a.occurred_at.slice(0, 10)))].sort();
  chart("chart-alerts").setOption({ title: { text: "预警趋势" }, tooltip: { trigger: "axis" }, legend: { top: 28 },
    xAxis: { type: "category", data: days }, yAxis: { type: "value" },
    series: Object.entries(KINDS).map(([kind, name]) => ({ name, type: "bar", stack: "all",
      data: days.map((d) => items.filter((a) => a.kind === kind && a.occurred_at.startsWith(d)).length) })) }, true);
}

document.addEventListener("DOMContentLoaded", () => { setup().catch((e) => console.warn(e)); });
