// The jQuery test app, written the way apps were before KeyboardEvent.key: handlers delegated
// from the document with $(document).on, the Enter of the name field caught in a `keypress`
// handler that tests `e.which === 13` (and stops the form's own submission), the name echoed on
// `keyup`, the checkbox read on `change` (Space toggles it), a help panel closed by Escape
// (`e.which === 27` on keydown), and routes kept with history.pushState by hand, each route's
// view rendered from its own template.
import $ from "jquery";
import template from "./app.html";
import formView from "./form.html";

const ENTER = 13;
const ESCAPE = 27;
const ABOUT_VIEW = '<h2 id="about-title">About</h2>';

const $root = $("#app");
const base = $root.data("base");
$root.html(template);

function route() {
  return window.location.pathname === base + "/about" ? "about" : "form";
}

function showRoute() {
  $("#route").text(route());
  $("#view").html(route() === "form" ? formView : ABOUT_VIEW);
}

function signUp() {
  $("#submitted").text(JSON.stringify({
    name: $("#name").val(), message: $("#message").val(), plan: $("#plan").val(),
    subscribe: $("#subscribe").is(":checked"),
  })).prop("hidden", false);
  $("#submit-count").text(Number($("#submit-count").text()) + 1);
}

function countUp(selector) {
  $(selector).text(Number($(selector).text()) + 1);
}

$(".route-link").each(function () {
  $(this).attr("href", base + $(this).attr("href"));
}).on("click", function (e) {
  e.preventDefault();
  window.history.pushState(null, "", $(this).attr("href"));
  showRoute();
});
$(window).on("popstate", showRoute);

$(document).on("keypress", "#name", function (e) {
  if (e.which === ENTER) {
    e.preventDefault();
    signUp();
  }
}).on("keyup change", "#name", function () {
  $("#name-echo").text($(this).val());
}).on("submit", "#signup", function (e) {
  e.preventDefault();
  signUp();
}).on("change", "#subscribe", function () {
  $("#subscribe-echo").text(this.checked ? "yes" : "no");
}).on("click", "#increment", function () {
  countUp("#clicks");
}).on("click", "#help", function () {
  $("#help-panel").prop("hidden", false);
}).on("keydown", function (e) {
  if (e.which === ESCAPE && $("#help-panel").length && !$("#help-panel").prop("hidden")) {
    $("#help-panel").prop("hidden", true);
    countUp("#escape-count");
  }
});
showRoute();
