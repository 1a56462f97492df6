// Draws every chart on the page from its Vega-Lite spec (a JSON block the server wrote).
// Vega's expression interpreter (ast: true) replaces code generation, so the page needs no
// 'unsafe-eval'; no <style> is injected (defaultStyle: false, our CSS styles the tooltip).
"use strict";
(function () {
  function draw(figure) {
    var source = document.getElementById(figure.getAttribute("data-spec"));
    var target = figure.querySelector(".chart-canvas");
    if (!source || !target || typeof vegaEmbed !== "function") return;
    var spec = JSON.parse(source.textContent);
    vegaEmbed(target, spec, {
      ast: true,
      renderer: "svg",
      actions: false,
      defaultStyle: false,
      tooltip: { theme: "custom", disableDefaultStyle: true },
    }).then(function () {
      figure.setAttribute("data-rendered", "true");
    }).catch(function (error) {
      figure.setAttribute("data-rendered", "error");
      console.error("chart " + figure.getAttribute("data-spec") + ": " + error);
    });
  }
  document.querySelectorAll("figure.chart[data-spec]").forEach(draw);
})();
