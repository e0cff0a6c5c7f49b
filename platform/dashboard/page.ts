/**
 * The dashboard's one HTML page. The markup is complete without script (headings, labels, the
 * login form); `/dashboard/app.js` (bundled by build.mjs, uPlot included) fills in the charts and
 * numbers from the event stream.
 */
import { shortType } from "./burst.js";

export interface PageOptions {
  loggedIn: boolean;
  /** The `?token=` given was not the control token. */
  loginFailed: boolean;
  burstTypes: readonly string[];
  maxBurst: number;
  /** The ratio in the sampling switch file, if it can be read. */
  configuredRatio: number | null;
}

export function renderPage(o: PageOptions): string {
  const typeOptions = [
    ...o.burstTypes.map(
      (t) =>
        `<option value="${esc(shortType(t))}" title="${esc(t)}"${shortType(t) === "order" ? " selected" : ""}>${esc(shortType(t))}</option>`,
    ),
    `<option value="all">all, in turn</option>`,
  ].join("");
  const disabled = o.loggedIn ? "" : " disabled";
  const chart = (id: string, title: string, unit: string, label: string) => `
      <article class="card" aria-labelledby="h-${id}">
        <header><h2 id="h-${id}">${title}</h2><p class="unit">${unit}</p></header>
        <div class="plot" id="chart-${id}" role="img" aria-label="${label}"></div>
        <ul class="legend" id="legend-${id}" aria-label="${title}, now"></ul>
      </article>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>leveler · load leveling</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body data-logged-in="${o.loggedIn}">
<a class="skip" href="#main">Skip to the charts</a>
<header class="top">
  <h1>leveler <span>queue-based load leveling</span></h1>
  <div class="view">
    <label for="window">Show the last</label>
    <select id="window">
      <option value="60000">minute</option>
      <option value="120000" selected>2 minutes</option>
      <option value="300000">5 minutes</option>
    </select>
  </div>
  <p class="pill" id="connection" role="status">connecting…</p>
  ${o.loggedIn ? `<form id="logout" class="logout" method="post" action="/logout"><button type="submit" class="link">Log out</button></form>` : ""}
</header>
<div class="banner warn" id="banner-broker" role="alert" hidden></div>
<div class="banner" id="banner-stream" role="alert" hidden></div>
${o.loginFailed ? `<div class="banner warn" role="alert">That link's token is not this platform's control token (a new state directory makes a new one). The charts work without it; the controls need it.</div>` : ""}
<main id="main">
  <section class="tiles" aria-label="Now">
    <dl>
      <div class="tile"><dt>Accepted</dt><dd><span id="now-accepted">–</span><small>events/s</small></dd><dd class="sub" id="total-accepted"></dd></div>
      <div class="tile"><dt>Refused</dt><dd><span id="now-refused">–</span><small>events/s</small></dd><dd class="sub" id="total-refused"></dd></div>
      <div class="tile"><dt>Processed</dt><dd><span id="now-processed">–</span><small>events/s</small></dd><dd class="sub" id="total-processed"></dd></div>
      <div class="tile"><dt>Queued</dt><dd><span id="now-queued">–</span><small>messages</small></dd><dd class="sub" id="sub-queued"></dd></div>
      <div class="tile"><dt>Replicas</dt><dd><span id="now-replicas">–</span><small>running</small></dd><dd class="sub" id="sub-replicas"></dd></div>
      <div class="tile"><dt>Dead letters</dt><dd><span id="now-dead">–</span><small>in the DLQs</small></dd><dd class="sub" id="total-dead"></dd></div>
      <div class="tile"><dt>Trace sampling</dt><dd><span id="now-ratio">–</span><small>applied</small></dd><dd class="sub" id="sub-ratio"></dd></div>
    </dl>
  </section>
  <section class="controls" aria-label="Controls">
    ${
      o.loggedIn
        ? ""
        : `<div class="login">
      <p><strong>Read-only.</strong> The controls need the platform's control token: open the link <code>npm start</code> printed (<code>http://127.0.0.1:8090/?token=…</code>), or paste the token from <code>.leveler/control-token</code>.</p>
      <form method="post" action="/login" class="row">
        <label for="token">Control token</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
        <button type="submit">Log in</button>
      </form>
    </div>`
    }
    <form id="burst" class="card control" aria-labelledby="h-burst">
      <h2 id="h-burst">Send a burst</h2>
      <fieldset${disabled}>
        <div class="row">
          <label for="burst-count">Events</label>
          <input id="burst-count" name="count" type="number" inputmode="numeric" min="1" max="${o.maxBurst}" step="1" value="3000" required>
          <label for="burst-type">Type</label>
          <select id="burst-type" name="type">${typeOptions}</select>
          <button type="submit">Send</button>
        </div>
      </fieldset>
      <p class="status" id="burst-status"></p>
    </form>
    <form id="sampling" class="card control" aria-labelledby="h-sampling">
      <h2 id="h-sampling">Trace sampling</h2>
      <fieldset${disabled}>
        <div class="row">
          <label for="ratio">Ratio <small>0 = off, 1 = every trace</small></label>
          <input id="ratio" name="ratio" type="number" inputmode="decimal" min="0" max="1" step="any" value="${o.configuredRatio ?? ""}" required>
          <button type="submit">Apply</button>
        </div>
        <div class="presets" role="group" aria-label="Common ratios">
          ${[0, 0.01, 0.1, 1].map((r) => `<button type="button" class="preset" data-ratio="${r}">${r}</button>`).join("")}
        </div>
      </fieldset>
      <p class="status" id="sampling-status" role="status" aria-live="polite"></p>
    </form>
  </section>
  <section class="charts" aria-label="The last minutes">
    ${chart("ingress", "Ingress", "events/s (1 s average)", "Ingress rate over the last minutes: events accepted and refused per second")}
    ${chart("consumers", "Processing", "events/s per consumer (1 s average)", "Each consumer's processing rate over the last minutes")}
    ${chart("queues", "Queue depth", "messages ready per Trigger", "Messages waiting in each Trigger's queue over the last minutes")}
    ${chart("replicas", "Replicas", "running per function, stacked", "Replicas running for each function over the last minutes, stacked, from and to zero")}
    ${chart("delivering", "Deliveries", "in flight per Trigger, and their bound", "Each Trigger's deliveries in flight and their bound (dispatcher replicas × parallelism) over the last minutes")}
  </section>
</main>
<div class="visually-hidden" id="summary" role="status" aria-live="polite" aria-atomic="true"></div>
<noscript><p class="banner">The charts need JavaScript; <a href="/api/status">/api/status</a> has the same numbers.</p></noscript>
</body>
</html>
`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
