// The switchboard dashboard: reads the admin JSON API every few seconds and shows queue depth per
// tenant, throughput and wait charts, top users by cost, open breakers and dead letters, with
// buttons for the API's actions. Everything from the API is put in the page as text (never as
// markup): names come from users of the platforms.
"use strict";

const REFRESH_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";

async function api(path, body) {
  const init = { credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  if (!r.ok) {
    throw new Error(`${path}: HTTP ${r.status}`);
  }
  return r.json();
}

function text(id, value) {
  document.getElementById(id).textContent = String(value);
}

function cell(tr, value, cls) {
  const td = document.createElement("td");
  td.textContent = value;
  if (cls) {
    td.className = cls;
  }
  tr.appendChild(td);
  return td;
}

function button(td, action, label, data) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.dataset.action = action;
  b.dataset.body = JSON.stringify(data);
  td.appendChild(b);
}

// Replaces a table's rows; `row` fills one <tr> per item.
function fill(id, items, row, empty) {
  const table = document.getElementById(id);
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    row(tr, item);
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    const td = cell(tr, empty);
    td.colSpan = table.querySelectorAll("thead th").length;
    rows.push(tr);
  }
  table.querySelector("tbody").replaceChildren(...rows);
  table.dataset.rows = String(items.length);
}

function time(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : "";
}

function svgEl(name, attrs, content) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  if (content !== undefined) {
    el.textContent = content;
  }
  return el;
}

// Draws bars (`bars`) or lines (`lines`: [{values, cls}]) over the buckets, with a max label.
function chart(id, n, bars, lines) {
  const svg = document.getElementById(id);
  const w = 600, h = 160, top = 14, bottom = 4;
  const all = (bars || []).concat(...lines.map((l) => l.values.filter((v) => v !== null)));
  const max = Math.max(1, ...all);
  const y = (v) => h - bottom - (v / max) * (h - top - bottom);
  const step = w / Math.max(1, n);
  const parts = [
    svgEl("line", { class: "grid", x1: 0, y1: h - bottom, x2: w, y2: h - bottom }),
    svgEl("text", { class: "axis", x: 4, y: 11 }, `max ${Math.round(max)}`),
  ];
  (bars || []).forEach((v, i) => {
    if (v > 0) {
      parts.push(svgEl("rect", { class: "bar", x: i * step + 1, y: y(v), width: Math.max(1, step - 2), height: h - bottom - y(v) }));
    }
  });
  for (const line of lines) {
    const points = line.values
      .map((v, i) => (v === null ? null : `${(i + 0.5) * step},${y(v)}`))
      .filter((p) => p !== null);
    if (points.length > 0) {
      parts.push(svgEl("polyline", { class: line.cls, points: points.join(" ") }));
    }
    line.values.forEach((v, i) => {
      if (v !== null) {
        parts.push(svgEl("circle", { class: `dot ${line.cls}`, cx: (i + 0.5) * step, cy: y(v), r: 3 }));
      }
    });
  }
  svg.replaceChildren(...parts);
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [queue, activity, top, breakers, dead] = await Promise.all([
      api("/api/queue"),
      api("/api/activity?secs=300&bucket=10"),
      api("/api/usage/top?days=1&limit=10"),
      api("/api/breakers"),
      api("/api/queue/dead?limit=50"),
    ]);
    text("total-ready", queue.ready);
    text("total-in-flight", queue.in_flight);
    text("total-delayed", queue.delayed);
    text("total-dead", queue.dead);
    text("total-answered", activity.totals.answered);
    text("total-refused", activity.totals.refused);

    fill("tenants", queue.tenants, (tr, t) => {
      tr.dataset.tenant = t.tenant;
      cell(tr, t.tenant);
      cell(tr, t.ready, "num ready");
      cell(tr, t.in_flight, "num in-flight");
      cell(tr, t.delayed, "num delayed");
      cell(tr, t.users, "num users");
    }, "no jobs queued");
    fill("top-users", top, (tr, u) => {
      tr.dataset.user = u.user;
      cell(tr, u.tenant, "tenant");
      cell(tr, u.user, "user");
      cell(tr, u.requests, "num requests");
      cell(tr, u.input_tokens + u.output_tokens, "num tokens");
      cell(tr, `$${u.cost_usd.toFixed(6)}`, "num cost");
    }, "no usage today");
    fill("breakers", breakers, (tr, b) => {
      tr.dataset.user = b.user;
      cell(tr, b.tenant, "tenant");
      cell(tr, b.user, "user");
      cell(tr, b.state, "state");
      cell(tr, time(b.open_until_ms));
      cell(tr, b.trips, "num trips");
      button(cell(tr, ""), "reset", "reset", { tenant: b.tenant, user: b.user });
    }, "no open breakers");
    fill("dead", dead, (tr, d) => {
      tr.dataset.id = d.id;
      cell(tr, d.id, "id");
      cell(tr, d.tenant, "tenant");
      cell(tr, d.user, "user");
      cell(tr, d.attempts, "num attempts");
      cell(tr, d.error, "error").title = d.error;
      cell(tr, time(d.at_ms));
      const actions = cell(tr, "");
      button(actions, "requeue", "requeue", { id: d.id });
      button(actions, "delete", "delete", { id: d.id });
    }, "no dead letters");

    const b = activity.buckets;
    for (const span of document.querySelectorAll(".bucket")) {
      span.textContent = String(activity.bucket_secs);
    }
    const answered = b.map((x) => x.answered);
    chart("chart-throughput", b.length, answered, []);
    document.getElementById("chart-throughput").dataset.total = String(answered.reduce((s, v) => s + v, 0));
    chart("chart-wait", b.length, null, [
      { values: b.map((x) => x.wait_p50_ms), cls: "p50" },
      { values: b.map((x) => x.wait_p95_ms), cls: "p95" },
    ]);

    document.body.dataset.state = "ok";
    document.body.dataset.updated = String(Date.now());
    status.textContent = `updated ${new Date().toLocaleTimeString()}; refreshes every ${REFRESH_MS / 1000} s`;
  } catch (e) {
    document.body.dataset.state = "error";
    status.textContent = `cannot read the API (${e.message}); retrying`;
  }
}

const PATHS = {
  reset: "/api/breakers/reset",
  requeue: "/api/queue/dead/requeue",
  delete: "/api/queue/dead/delete",
};

document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button[data-action]");
  if (!b) {
    return;
  }
  b.disabled = true;
  try {
    await api(PATHS[b.dataset.action], JSON.parse(b.dataset.body));
  } catch (e) {
    document.getElementById("status").textContent = `${b.dataset.action} failed: ${e.message}`;
  }
  await refresh();
});

refresh();
setInterval(refresh, REFRESH_MS);
