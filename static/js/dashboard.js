/* Dashboard charts (Apache ECharts, vendored). Each chart reads the figures the page already
   shows in its table (JSON in #dashboard-data); without JavaScript the tables stand alone. */
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var node = document.getElementById("dashboard-data");
    if (!node || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var charts = [];
    var narrow = window.matchMedia("(max-width: 40rem)").matches;
    var grid = { left: 8, right: 8, top: 36, bottom: 8, containLabel: true };
    var legend = { type: "scroll", top: 0 };
    var builders = {
      categories: function () {
        var d = data.categories;
        return { tooltip: { trigger: "axis" }, grid: grid,
          xAxis: { type: "value" },
          yAxis: { type: "category", data: d.labels, inverse: true, axisLabel: { width: narrow ? 90 : 160, overflow: "truncate" } },
          series: [{ type: "bar", data: d.values, label: { show: true, position: "right" } }] };
      },
      subregions: function () {
        var d = data.subregions;
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels, axisLabel: { rotate: d.labels.length > 6 ? 40 : 0 } },
          yAxis: [{ type: "value" }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
          series: [
            { name: data.texts.overdue, type: "bar", data: d.overdue },
            { name: data.texts.percent, type: "line", yAxisIndex: 1, data: d.quarter }
          ] };
      },
      trend: function () {
        var d = data.trend;
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels }, yAxis: { type: "value" },
          series: d.series.map(function (s) { return { name: s.name, type: "line", data: s.values }; }) };
      },
      payouts: function () {
        var d = data.payouts;
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels }, yAxis: { type: "value" },
          series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "paid", data: s.values }; }) };
      },
      casework_cases: function () {
        var d = data.casework.cases;
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "value", minInterval: 1 },
          yAxis: { type: "category", data: d.labels, inverse: true, axisLabel: { width: narrow ? 90 : 160, overflow: "truncate" } },
          series: [
            { name: d.names[0], type: "bar", stack: "cases", data: d.risk, label: { show: true, position: "right" } },
            { name: d.names[1], type: "bar", stack: "cases", data: d.grade, label: { show: true, position: "right" } }
          ] };
      },
      casework_reports: function () {
        var d = data.casework.reports;
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", minInterval: 1 },
          series: d.series.map(function (s) { return { name: s.name, type: "bar", stack: "reports", data: s.values }; }) };
      },
      institutions: function () {
        return { tooltip: { trigger: "item" }, legend: legend,
          series: [{ type: "pie", radius: narrow ? ["25%", "55%"] : ["30%", "65%"], top: 30,
            data: data.institutions.filter(function (x) { return x.value > 0; }) }] };
      }
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.getAttribute("data-chart")];
      if (!build) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build());
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
