// The React test app: function components, controlled inputs through useState, a form handled
// in onSubmit, and client-side routes from react-router. The element ids are the ones every test
// app shares (see tests/framework_apps.py).
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, Route, Routes, useLocation } from "react-router";

function SignupForm() {
  const [name, setName] = useState("");
  const [message, setMessage] = useState("");
  const [plan, setPlan] = useState("basic");
  const [subscribe, setSubscribe] = useState(false);
  const [submitted, setSubmitted] = useState(null);
  const [submitCount, setSubmitCount] = useState(0);
  const [clicks, setClicks] = useState(0);

  function onSubmit(event) {
    event.preventDefault();
    setSubmitted(JSON.stringify({ name, message, plan, subscribe }));
    setSubmitCount((count) => count + 1);
  }

  return (
    <>
      <form id="signup" onSubmit={onSubmit}>
        <label htmlFor="name">Name</label>
        <input id="name" value={name} onChange={(event) => setName(event.target.value)} />
        <label htmlFor="message">Message</label>
        <textarea id="message" value={message} onChange={(event) => setMessage(event.target.value)} />
        <label htmlFor="plan">Plan</label>
        <select id="plan" value={plan} onChange={(event) => setPlan(event.target.value)}>
          <option value="basic">Basic</option>
          <option value="pro">Pro</option>
        </select>
        <label>
          <input id="subscribe" type="checkbox" checked={subscribe}
                 onChange={(event) => setSubscribe(event.target.checked)} />
          Subscribe
        </label>
        <button id="submit" type="submit">Sign up</button>
      </form>
      <p>Name: <output id="name-echo">{name}</output></p>
      <p>Subscribed: <output id="subscribe-echo">{subscribe ? "yes" : "no"}</output></p>
      <p><button id="increment" type="button" onClick={() => setClicks(clicks + 1)}>Add one</button>
        Clicks: <output id="clicks">{clicks}</output></p>
      <p>Submitted <output id="submit-count">{submitCount}</output> times</p>
      {submitted && <pre id="submitted">{submitted}</pre>}
    </>
  );
}

function About() {
  return <h2 id="about-title">About</h2>;
}

function CurrentRoute() {
  const location = useLocation();
  return <output id="route">{location.pathname === "/about" ? "about" : "form"}</output>;
}

function App() {
  return (
    <>
      <h1 id="app-title">React app</h1>
      <nav>
        <Link id="nav-form" to="/">Form</Link> <Link id="nav-about" to="/about">About</Link>
      </nav>
      <p>Route: <CurrentRoute /></p>
      <Routes>
        <Route path="/" element={<SignupForm />} />
        <Route path="/about" element={<About />} />
      </Routes>
    </>
  );
}

const root = document.getElementById("app");
createRoot(root).render(
  <StrictMode>
    <BrowserRouter basename={root.dataset.base}>
      <App />
    </BrowserRouter>
  </StrictMode>,
);
