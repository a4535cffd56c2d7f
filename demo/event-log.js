// The demo pages' own script: it logs every co-browse event, with its properties, to the page.
// It runs right after the widget's tag, before the widget's runtime is up: listeners attached
// now are kept and served once it is.
(function () {
  var names = ["SessionStarting", "SessionStarted", "SessionEnded", "AgentConnected",
    "AgentDisconnected", "StateChanged", "NavigatingAway"];
  function log(name, event) {
    var list = document.getElementById("event-log");
    if (!list) return;
    var item = document.createElement("li");
    // A property the event has no value for shows as "\u2014", not "undefined".
    var parts = Object.keys(event).map(function (key) {
      return key + "=" + (event[key] === undefined || event[key] === null ? "\u2014" : String(event[key]));
    });
    item.textContent = name + " " + parts.join(" ");
    list.appendChild(item);
  }
  names.forEach(function (name) {
    Cobrowse.Events[name].listen(function (event) { log(name, event); });
  });
})();
