// The Knockout test app, written the way pre-2015 apps were: observables bound by data-bind,
// `value` bindings that update on change, a key handler that tests keyCode 13, and routes kept
// with history.pushState by hand.
import ko from "knockout";
import template from "./app.html";

const ENTER = 13;

// TodoMVC's binding: run the handler when Enter comes up in the field (keyCode, not key).
ko.bindingHandlers.enterKey = {
  init(element, valueAccessor, allBindings, viewModel) {
    element.addEventListener("keyup", (event) => {
      if (event.keyCode === ENTER) {
        valueAccessor().call(viewModel);
      }
    });
  },
};

function routeOf(base) {
  return window.location.pathname === base + "/about" ? "about" : "form";
}

function AppViewModel(base) {
  this.base = base;
  this.route = ko.observable(routeOf(base));
  this.name = ko.observable("");
  this.message = ko.observable("");
  this.plan = ko.observable("basic");
  this.subscribe = ko.observable(false);
  this.submitted = ko.observable(null);
  this.submitCount = ko.observable(0);
  this.clicks = ko.observable(0);
  this.newTodo = ko.observable("");
  this.todos = ko.observableArray([]);

  this.go = (model, event) => {
    window.history.pushState(null, "", event.currentTarget.getAttribute("href"));
    this.route(routeOf(base));
  };
  this.onSubmit = () => {
    this.submitted(JSON.stringify({
      name: this.name(), message: this.message(), plan: this.plan(), subscribe: this.subscribe(),
    }));
    this.submitCount(this.submitCount() + 1);
  };
  this.increment = () => this.clicks(this.clicks() + 1);
  this.addTodo = () => {
    const text = this.newTodo().trim();
    if (text) {
      this.todos.push(text);
    }
    this.newTodo("");
  };
  window.addEventListener("popstate", () => this.route(routeOf(base)));
}

const root = document.getElementById("app");
root.innerHTML = template;
ko.applyBindings(new AppViewModel(root.dataset.base), root);
