/* Budget projection charts (Apache ECharts, vendored): the figures the page's tables already show
   (JSON in #budget-data); without JavaScript the tables stand alone. */
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  ready(function () {
    var node = document.getElementById("budget-data");
    if (!node || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var charts = [];
    var grid = { left: 8, right: 8, top: 36, bottom: 8, containLabel: true };
    var legend = { type: "scroll", top: 0 };
    var builders = {
      projection: function () {
        var d = data.projection;
        var series = d.series.map(function (s) { return { name: s.name, type: "bar", stack: "budget", data: s.values }; });
        series.push({ name: d.grants.name, type: "bar", stack: "budget", data: d.grants.values });
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", name: data.texts.yuan }, series: series };
      },
      check: function () {
        var d = data.check;
        if (!d) { return null; }
        return { tooltip: { trigger: "axis" }, legend: legend, grid: grid,
          xAxis: { type: "category", data: d.labels }, yAxis: { type: "value", name: data.texts.yuan },
          series: [
            { name: data.texts.projected, type: "line", data: d.projected },
            { name: data.texts.paid, type: "bar", data: d.paid }
          ] };
      }
    };
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var build = builders[el.getAttribute("data-chart")];
      var option = build ? build() : null;
      if (!option) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  });
})();
