// A dashboard's chart: Chart.js (from npm) draws a line chart on a 600x400 canvas and moves it
// on every 250 ms, as a live dashboard does. window.chartTicks counts its updates.
import Chart from "chart.js/auto";

const canvas = document.getElementById("chart");
const points = Array.from({ length: 20 }, (_, i) => Math.round(50 + 40 * Math.sin(i / 3)));
const chart = new Chart(canvas, {
  type: "line",
  data: { labels: points.map((_, i) => String(i)), datasets: [{ label: "Visits", data: points, borderColor: "#2563eb" }] },
  options: { responsive: false, animation: { duration: 200 } },
});
window.chartTicks = 0;
setInterval(() => {
  window.chartTicks += 1;
  points.push(Math.round(50 + 40 * Math.sin(window.chartTicks / 3)));
  points.shift();
  chart.update();
}, 250);
