// The local console: state machines, executions and their paths, on the AWS APIs the endpoint serves.
import { analyse, followFrom, restartPoint, tokenOf } from "./history.js";
import { OUTCOMES, layout, mermaidText } from "./asl_graph.js";
import { AwsError, client, everyPage } from "./aws.js";
import { LEDGERS, executionIndex, executionsIn, parked, scan } from "./platform.js";

const STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];
const REDRIVABLE = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);
const PAGE = 20;
// A running execution's page asks for its newest event this often: one event read per tick, so
// a step that ends shows within half a second.
const LIVE_REFRESH_MS = 500;
const main = document.getElementById("main");
let call;
let outputs = {};
let refreshTimer = null;
// Each drawing of a page is numbered: an execution's page that started earlier but read the
// execution later than another (a live redraw, an answer's redraw and a hash change can overlap)
// must not replace the newer page with older news.
let drawing = 0;
let graphs = 0;

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "text") element.textContent = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function pretty(text) {
  if (text === null || text === undefined) return "";
  try {
    return JSON.stringify(typeof text === "string" ? JSON.parse(text) : text, null, 2);
  } catch {
    return String(text);
  }
}

function when(timestamp) {
  if (timestamp === undefined || timestamp === null) return "";
  const date = typeof timestamp === "number" ? new Date(timestamp * 1000) : new Date(timestamp);
  return date.toISOString().replace("T", " ").replace("Z", " UTC");
}

function problem(error) {
  const text = error instanceof AwsError ? `${error.code}: ${error.detail}` : String(error.message || error);
  return h("p", { class: "problem", role: "alert" }, text);
}

function show(...content) {
  main.replaceChildren(...content.flat().filter((part) => part !== null && part !== undefined && part !== false));
  const heading = main.querySelector("h1");
  if (heading) document.title = `${heading.textContent} · local console`;
}

let fitted = true;

async function drawGraph(container, definition, outcomes, onState) {
  const { nodes } = layout(definition);
  const { svg } = await window.mermaid.render(`graph${(graphs += 1)}`, mermaidText(definition, outcomes));
  container.innerHTML = svg;
  container.classList.toggle("fit", fitted);
  const toggle = h(
    "button",
    {
      type: "button",
      class: "zoom",
      "aria-pressed": String(!fitted),
      onclick: () => {
        fitted = !fitted;
        container.classList.toggle("fit", fitted);
        toggle.textContent = fitted ? "Actual size" : "Fit to the box";
        toggle.setAttribute("aria-pressed", String(!fitted));
      },
    },
    fitted ? "Actual size" : "Fit to the box",
  );
  container.prepend(toggle);
  const byId = new Map([...nodes.entries()].map(([name, node]) => [node.id, name]));
  for (const element of container.querySelectorAll("g.node, g.cluster")) {
    const found = /(?:flowchart-)?(s\d+)(?:-\d+)?$/.exec(element.id);
    const name = found && byId.get(found[1]);
    if (!name) continue;
    element.dataset.state = name;
    element.dataset.outcome = outcomes[name] || "";
    if (onState) {
      element.setAttribute("tabindex", "0");
      element.setAttribute("role", "button");
      element.setAttribute("aria-label", `${name}${outcomes[name] ? `: ${outcomes[name]}` : ""}`);
      element.addEventListener("click", () => onState(name));
      element.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") onState(name);
      });
    }
  }
}

function legend() {
  return h(
    "ul",
    { class: "legend", "aria-label": "path colours" },
    OUTCOMES.map((outcome) => h("li", { class: `swatch ${outcome}` }, outcome)),
  );
}

// --- State machines ---------------------------------------------------------------------------------

async function machinesView() {
  const machines = await everyPage(call, "states", "ListStateMachines", {}, "stateMachines");
  machines.sort((a, b) => a.name.localeCompare(b.name));
  show(
    h("h1", {}, "State machines"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "type"), h("th", {}, "created"))),
      h(
        "tbody",
        {},
        machines.map((m) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/machine/${encodeURIComponent(m.stateMachineArn)}` }, m.name)),
            h("td", {}, m.type),
            h("td", {}, when(m.creationDate)),
          ),
        ),
      ),
    ),
  );
}

async function machineView(arn, status, token) {
  const machine = await call("states", "DescribeStateMachine", { stateMachineArn: arn });
  const request = { stateMachineArn: arn, maxResults: PAGE };
  if (status) request.statusFilter = status;
  if (token) request.nextToken = token;
  const listed = await call("states", "ListExecutions", request);
  const executions = (listed.executions || []).sort((a, b) => (b.startDate > a.startDate ? 1 : -1));
  const graph = h("div", { class: "graph", "aria-label": `${machine.name} definition` });
  const filter = h(
    "select",
    {
      id: "status-filter",
      "aria-label": "status",
      onchange: (event) => {
        location.hash = `#/machine/${encodeURIComponent(arn)}${event.target.value ? `/${event.target.value}` : ""}`;
      },
    },
    h("option", { value: "" }, "every status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)),
  );
  show(
    h("p", {}, h("a", { href: "#/" }, "State machines")),
    h("h1", {}, machine.name),
    h("p", {}, `${machine.type} · `, h("a", { href: `#/start/${encodeURIComponent(arn)}`, class: "button" }, "Start execution")),
    graph,
    h("h2", {}, "Executions"),
    h("label", { for: "status-filter" }, "Show "),
    filter,
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", {}, "status"), h("th", {}, "started"), h("th", {}, "stopped"))),
      h(
        "tbody",
        {},
        executions.map((e) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `#/execution/${encodeURIComponent(e.executionArn)}` }, e.name)),
            h("td", {}, h("span", { class: `status ${e.status}` }, e.status)),
            h("td", {}, when(e.startDate)),
            h("td", {}, when(e.stopDate)),
          ),
        ),
      ),
    ),
    executions.length ? null : h("p", {}, "No executions."),
    listed.nextToken
      ? h(
          "button",
          {
            type: "button",
            onclick: () => machineView(arn, status, listed.nextToken).catch((e) => main.append(problem(e))),
          },
          "Older executions",
        )
      : null,
  );
  await drawGraph(graph, JSON.parse(machine.definition), {});
}

// --- Start ------------------------------------------------------------------------------------------

function sampleFor(machineName, samples) {
  const flat = (text) => text.toLowerCase().replace(/[^a-z0-9]/g, "");
  const name = flat(machineName);
  const direct = samples.filter((s) => !s.includes("from_pipe") && name.includes(flat(s.replace(/\.json$/, ""))));
  return direct.sort((a, b) => b.length - a.length)[0] || "";
}

async function startView(arn) {
  const machine = await call("states", "DescribeStateMachine", { stateMachineArn: arn });
  let samples = [];
  try {
    samples = (await (await fetch("samples/")).json()).filter((name) => name.endsWith(".json"));
  } catch {
    samples = [];
  }
  const input = h("textarea", { id: "input", rows: 16, spellcheck: "false", "aria-describedby": "input-help" }, "{}");
  const name = h("input", { id: "name", type: "text", placeholder: "(a UUID)", autocomplete: "off" });
  const outcome = h("div", { id: "start-outcome", "aria-live": "polite" });
  const choose = async (file) => {
    if (!file) return;
    const text = await (await fetch(`samples/${encodeURIComponent(file)}`)).text();
    input.value = pretty(text);
  };
  const picker = h(
    "select",
    { id: "sample", onchange: (event) => choose(event.target.value) },
    h("option", { value: "" }, "(none)"),
    samples.map((s) => h("option", { value: s }, s)),
  );
  const submit = async (event) => {
    event.preventDefault();
    outcome.replaceChildren();
    let parsed;
    try {
      parsed = JSON.parse(input.value);
    } catch (error) {
      outcome.append(h("p", { class: "problem", role: "alert" }, `The input is not JSON: ${error.message}`));
      input.focus();
      return;
    }
    try {
      const request = { stateMachineArn: arn, input: JSON.stringify(parsed) };
      if (name.value.trim()) request.name = name.value.trim();
      const started = await call("states", "StartExecution", request);
      location.hash = `#/execution/${encodeURIComponent(started.executionArn)}`;
    } catch (error) {
      outcome.append(problem(error));
    }
  };
  show(
    h("p", {}, h("a", { href: `#/machine/${encodeURIComponent(arn)}` }, machine.name)),
    h("h1", {}, `Start ${machine.name}`),
    h(
      "form",
      { id: "start-form", onsubmit: submit },
      h("p", {}, h("label", { for: "sample" }, "Sample input "), picker),
      h("p", {}, h("label", { for: "name" }, "Execution name "), name),
      h("p", {}, h("label", { for: "input" }, "Input (JSON)")),
      input,
      h("p", { id: "input-help", class: "help" }, "Checked as JSON before it is sent; a refused start shows AWS's error."),
      h("p", {}, h("button", { type: "submit" }, "Start execution")),
      outcome,
    ),
  );
  const preferred = sampleFor(machine.name, samples);
  if (preferred) {
    picker.value = preferred;
    await choose(preferred);
  }
}

// --- An execution -----------------------------------------------------------------------------------

function durationText(detail) {
  if (detail.enteredAt === null || detail.exitedAt === null) return "";
  return `${(detail.exitedAt - detail.enteredAt).toFixed(3)} s`;
}

function stateDetail(detail) {
  if (!detail) return h("p", {}, "Not visited.");
  const attempts = detail.attempts.length;
  return h(
    "div",
    {},
    h("h3", {}, detail.name, " ", h("span", { class: `status ${detail.outcome}` }, detail.outcome)),
    h(
      "dl",
      {},
      h("dt", {}, "time spent"),
      h("dd", {}, durationText(detail) || "(not ended)"),
      h("dt", {}, "attempts"),
      h("dd", {}, attempts ? `${attempts} (${attempts - 1} retries): ${detail.attempts.map((a) => when(a.at)).join(", ")}` : "none"),
    ),
    detail.errors.length ? h("h4", {}, "Errors") : null,
    detail.errors.map((e) => h("div", { class: "error" }, h("p", {}, h("strong", {}, e.error || e.type), ` at ${when(e.at)}`), e.cause ? h("pre", {}, pretty(e.cause)) : null)),
    h("h4", {}, "Input"),
    h("pre", {}, pretty(detail.input)),
    h("h4", {}, "Output"),
    h("pre", {}, detail.output === null ? "(none)" : pretty(detail.output)),
  );
}

// What RedriveExecution would do: run again from the state the execution did not get through,
// with the input that state was given (the states before it keep their results).
function redrivePreview(analysis, history, definition) {
  const failed = restartPoint(history, definition);
  if (!failed) return h("p", {}, "There is no state to redrive from: a redrive is refused (ExecutionNotRedrivable).");
  const trail = analysis.order.filter((name) => analysis.outcomes[name] === "compensating");
  return h(
    "section",
    { class: "redrive", "aria-label": "what a redrive would do" },
    h("h2", {}, "Redrive"),
    h("p", {}, `A redrive runs again from ${failed.name}, the state this execution did not get through, with the input it was given; the states before it are not run again.`),
    trail.length ? h("p", {}, `The compensation that ran: ${[...new Set(trail)].join(" → ")}.`) : null,
    h("details", {}, h("summary", {}, `${failed.name}'s input`), h("pre", {}, pretty(failed.input))),
  );
}

// What was typed into an answer form, and what the last answer got back, by task token: a running
// execution's page is redrawn when an event arrives, and that must not wipe a half-typed answer,
// nor the acknowledgement of one sent (the answer moves the execution on, so by the next redraw
// the state no longer waits and its form is gone: the receipt stays in its place).
const drafts = new Map();

// The answers sent from this page whose states no longer wait, as receipts under the same name.
function answerReceipts(arn, waiting) {
  const stillWaiting = new Set(waiting.map(tokenOf));
  return [...drafts.entries()]
    .filter(([token, draft]) => draft.execution === arn && draft.sent && !stillWaiting.has(token))
    .map(([, draft]) =>
      h("section", { class: "answer", "aria-label": `answer ${draft.state}` }, h("h3", {}, `${draft.state} was answered from this page`), draft.said),
    );
}

function answerForm(arn, waiting, onAnswered) {
  const token = tokenOf(waiting);
  const draft = drafts.get(token) || { execution: arn, state: waiting.state, output: '{"answered": "from the console"}', error: "Rejected", cause: "", said: null, sent: false };
  if (token) drafts.set(token, draft);
  const keep = (field) => (event) => {
    draft[field] = event.target.value;
  };
  const output = h("textarea", { rows: 4, "aria-label": `output for ${waiting.state}`, oninput: keep("output") }, draft.output);
  const error = h("input", { type: "text", "aria-label": `error for ${waiting.state}`, value: draft.error, oninput: keep("error") });
  const cause = h("input", { type: "text", "aria-label": `cause for ${waiting.state}`, value: draft.cause, oninput: keep("cause") });
  const said = h("div", { "aria-live": "polite" });
  const tell = (message) => {
    draft.said = message;
    said.replaceChildren(message);
  };
  if (draft.said) said.append(draft.said);
  const send = async (operation, request) => {
    said.replaceChildren();
    try {
      await call("states", operation, { taskToken: token, ...request });
      draft.sent = true;
      tell(h("p", {}, `${operation} sent.`));
      onAnswered();
    } catch (failure) {
      tell(problem(failure));
    }
  };
  return h(
    "section",
    { class: "answer", "aria-label": `answer ${waiting.state}` },
    h("h3", {}, `${waiting.state} waits for its task token`),
    token ? h("p", { class: "token" }, h("code", {}, token)) : h("p", { class: "problem" }, "The token is not in the task's parameters."),
    h("label", {}, "Output (JSON) ", output),
    h(
      "button",
      {
        type: "button",
        disabled: !token,
        onclick: () => {
          try {
            JSON.parse(output.value);
          } catch (e) {
            tell(h("p", { class: "problem", role: "alert" }, `The output is not JSON: ${e.message}`));
            return;
          }
          send("SendTaskSuccess", { output: output.value });
        },
      },
      "Send success",
    ),
    h("label", {}, " Error ", error),
    h("label", {}, " Cause ", cause),
    h("button", { type: "button", disabled: !token, onclick: () => send("SendTaskFailure", { error: error.value, cause: cause.value }) }, "Send failure"),
    said,
  );
}

async function executionView(arn, selected) {
  const mine = ++drawing;
  const [execution, history, machine] = await Promise.all([
    call("states", "DescribeExecution", { executionArn: arn }),
    everyPage(call, "states", "GetExecutionHistory", { executionArn: arn, maxResults: 1000 }, "events"),
    call("states", "DescribeStateMachineForExecution", { executionArn: arn }),
  ]);
  if (mine !== drawing) return;
  const definition = JSON.parse(machine.definition);
  const { nodes } = layout(definition);
  const analysis = analyse(history, execution.status, nodes);
  const detailPanel = h("section", { id: "state-detail", class: "detail", "aria-live": "polite" });
  const choose = (name) => {
    selected = name;
    detailPanel.replaceChildren(stateDetail(analysis.states.get(name)));
  };
  const rerun = () => route();
  const said = h("div", { "aria-live": "polite" });
  const act = async (operation, request) => {
    said.replaceChildren();
    try {
      await call("states", operation, request);
      setTimeout(rerun, 200);
    } catch (failure) {
      said.append(problem(failure));
    }
  };
  const graph = h("div", { class: "graph", "aria-label": "the execution's path" });
  show(
    h("p", {}, h("a", { href: `#/machine/${encodeURIComponent(execution.stateMachineArn)}` }, machine.name)),
    h("h1", {}, execution.name, " ", h("span", { class: `status ${execution.status}`, id: "execution-status" }, execution.status)),
    h(
      "p",
      { class: "actions" },
      execution.status === "RUNNING"
        ? h("button", { type: "button", onclick: () => act("StopExecution", { executionArn: arn, error: "StoppedFromConsole", cause: "stopped from the local console" }) }, "Stop execution")
        : null,
      REDRIVABLE.has(execution.status) && machine.type !== "EXPRESS"
        ? h("button", { type: "button", onclick: () => act("RedriveExecution", { executionArn: arn }) }, "Redrive")
        : null,
      ` started ${when(execution.startDate)}`,
      execution.stopDate ? ` · stopped ${when(execution.stopDate)}` : "",
      execution.redriveCount ? ` · redriven ${execution.redriveCount} time(s)` : "",
    ),
    execution.error ? h("p", { class: "error" }, h("strong", {}, execution.error), " ", execution.cause || "") : null,
    REDRIVABLE.has(execution.status) && machine.type !== "EXPRESS" ? redrivePreview(analysis, history, definition) : null,
    said,
    analysis.waiting.map((w) => answerForm(arn, w, () => setTimeout(rerun, 200))),
    answerReceipts(arn, analysis.waiting),
    legend(),
    h("div", { class: "columns" }, graph, detailPanel),
    h("h2", {}, "States"),
    h(
      "table",
      { id: "states" },
      h("thead", {}, h("tr", {}, h("th", {}, "state"), h("th", {}, "outcome"), h("th", {}, "attempts"), h("th", {}, "time"))),
      h(
        "tbody",
        {},
        [...analysis.states.values()].map((d) =>
          h(
            "tr",
            { "data-state": d.name },
            h("td", {}, h("button", { type: "button", class: "link", onclick: () => choose(d.name) }, d.name)),
            h("td", {}, h("span", { class: `status ${analysis.outcomes[d.name]}` }, analysis.outcomes[d.name])),
            h("td", {}, d.attempts.length || ""),
            h("td", {}, durationText(d)),
          ),
        ),
      ),
    ),
    h("h2", {}, "Event history"),
    h(
      "table",
      { id: "history" },
      h("thead", {}, h("tr", {}, h("th", {}, "id"), h("th", {}, "type"), h("th", {}, "state"), h("th", {}, "time"))),
      h(
        "tbody",
        {},
        history.map((e) =>
          h(
            "tr",
            {},
            h("td", {}, e.id),
            h("td", {}, e.type),
            h("td", {}, (e.stateEnteredEventDetails || e.stateExitedEventDetails || {}).name || ""),
            h("td", {}, when(e.timestamp)),
          ),
        ),
      ),
    ),
  );
  await drawGraph(graph, definition, analysis.outcomes, choose);
  choose(selected && analysis.states.has(selected) ? selected : analysis.order[analysis.order.length - 1]);
  const after = followFrom(execution.status, history);
  if (after !== undefined && mine === drawing) watch(arn, after, () => selected);
}

// A running execution's page follows it: redrawn when a new event arrives (not otherwise, so what
// is being typed into an answer form stays).
function watch(arn, newestId, selected) {
  refreshTimer = setTimeout(async () => {
    try {
      const again = await call("states", "GetExecutionHistory", { executionArn: arn, maxResults: 1, reverseOrder: true });
      const newest = (again.events || [])[0];
      if (newest && newest.id !== newestId) await executionView(arn, selected());
      else watch(arn, newestId, selected);
    } catch {
      watch(arn, newestId, selected);
    }
  }, LIVE_REFRESH_MS);
}

// --- The platform's own view ------------------------------------------------------------------------

function executionLinks(executions) {
  if (!executions.length) return "";
  return h(
    "ul",
    { class: "links" },
    executions.map((e) =>
      h("li", {}, h("a", { href: `#/execution/${encodeURIComponent(e.executionArn || e)}` }, (e.executionArn || e).split(":").slice(-2).join(":")), e.status ? ` ${e.status}` : ""),
    ),
  );
}

// A table of items (every attribute a column); with `linked`, a last column of the executions that
// touched each item (found by the id `linked` reads from it).
function itemTable(id, items, columns, linked) {
  if (!items.length) return h("p", {}, "None.");
  const shown = columns || [...new Set(items.flatMap((item) => Object.keys(item)))];
  const cell = (v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : v ?? "");
  return h(
    "table",
    { id },
    h("thead", {}, h("tr", {}, shown.map((c) => h("th", {}, c)), linked ? h("th", {}, "executions") : null)),
    h(
      "tbody",
      {},
      items.map((item) =>
        h("tr", {}, shown.map((c) => h("td", {}, cell(item[c]))), linked ? h("td", {}, executionLinks(linked(item))) : null),
      ),
    ),
  );
}

async function platformView() {
  const table = (key) => outputs[key];
  const [records, claims, queues, mentioning] = await Promise.all([
    table("OrdersTableName") ? scan(call, table("OrdersTableName")) : [],
    table("ClaimsTableName") ? scan(call, table("ClaimsTableName")) : [],
    parked(call, outputs),
    executionIndex(call, outputs),
  ]);
  const ledgers = await Promise.all(LEDGERS.map(async ([title, key]) => [title, table(key) ? await scan(call, table(key)) : []]));
  const orders = records.filter((r) => r.recordType === "ORDER");
  const outbox = records.filter((r) => r.recordType === "OUTBOX");
  show(
    h("h1", {}, "The platform"),
    h("h2", { id: "parked-heading" }, "Parked messages"),
    queues.length
      ? queues.map((q) =>
          h(
            "section",
            { class: "queue", "aria-label": `queue ${q.name}` },
            h("h3", {}, q.name, ` (${q.count} parked)`),
            q.messages.length
              ? q.messages.map((m) =>
                  h("div", { class: "message" }, h("pre", {}, JSON.stringify(JSON.parse(m.Body || "null"), null, 2).slice(0, 4000)), executionLinks(executionsIn(m.Body))),
                )
              : h("p", {}, "Empty."),
          ),
        )
      : h("p", {}, "No dead-letter or failures queue."),
    h("h2", {}, "Orders and their outbox"),
    orders.length
      ? h(
          "table",
          { id: "orders" },
          h("thead", {}, h("tr", {}, ["order", "status", "customer", "total", "outbox (sequence, event, state)", "executions"].map((c) => h("th", {}, c)))),
          h(
            "tbody",
            {},
            orders.map((o) =>
              h(
                "tr",
                {},
                h("td", {}, o.orderId),
                h("td", {}, o.status),
                h("td", {}, o.customerId),
                h("td", {}, `${o.totalAmount ?? ""} ${o.currency ?? ""}`),
                h(
                  "td",
                  {},
                  h(
                    "ul",
                    {},
                    outbox
                      .filter((r) => r.aggregateId === o.orderId)
                      .sort((a, b) => a.sequence - b.sequence)
                      .map((r) => h("li", {}, `${r.sequence} ${r.eventType} ${r.status}${r.publishedAt ? ` at ${r.publishedAt}` : ""}`)),
                  ),
                ),
                h("td", {}, executionLinks(mentioning(o.orderId))),
              ),
            ),
          ),
        )
      : h("p", {}, "No orders yet."),
    h("h2", {}, "The saga's ledgers"),
    ledgers.flatMap(([title, items]) => [
      h("h3", {}, title),
      itemTable(title.toLowerCase().replace(/\W+/g, "-"), items, null, (item) => (item.orderId ? mentioning(item.orderId) : [])),
    ]),
    h("h2", {}, "Claims"),
    claims.length
      ? itemTable("claims", claims, null, (c) => mentioning(String(c.claimId || c.pk || "").replace("CLAIM#", "")))
      : h("p", {}, "No claims."),
  );
}

// --- The clock ------------------------------------------------------------------------------------

async function clockView() {
  const state = await (await fetch("/_local/clock")).json();
  const amount = h("input", { id: "advance-by", type: "number", min: "0", step: "any", value: "60" });
  const unit = h("select", { id: "advance-unit", "aria-label": "unit" }, ["seconds", "minutes", "hours"].map((u) => h("option", { value: u }, u)));
  const said = h("div", { "aria-live": "polite" });
  const advance = async (event) => {
    event.preventDefault();
    const seconds = Number(amount.value) * { seconds: 1, minutes: 60, hours: 3600 }[unit.value];
    const response = await fetch("/_local/clock", { method: "POST", body: JSON.stringify({ advanceSeconds: seconds }) });
    if (!response.ok) {
      said.replaceChildren(h("p", { class: "problem", role: "alert" }, (await response.json()).message));
      return;
    }
    await clockView();
  };
  show(
    h("h1", {}, "The clock"),
    h("p", { id: "clock-now" }, `Now: ${state.now}`, state.followsWallTime ? " (following wall time)" : " (virtual: jumps when the app is quiet)"),
    h("form", { id: "advance-form", onsubmit: advance }, h("label", { for: "advance-by" }, "Advance by "), amount, " ", unit, " ", h("button", { type: "submit" }, "Advance")),
    said,
    h("h2", {}, "Timers that will fire"),
    itemTable("timers", state.timers, ["due", "kind"]),
  );
}

// --- Routing ----------------------------------------------------------------------------------------

async function route() {
  clearTimeout(refreshTimer);
  drawing += 1; // an execution's page still being drawn is not shown over the page asked for now
  const [, view, arn, extra] = location.hash.split("/").map((part) => decodeURIComponent(part || ""));
  try {
    if (view === "machine") await machineView(arn, extra || "");
    else if (view === "start") await startView(arn);
    else if (view === "execution") await executionView(arn);
    else if (view === "platform") await platformView();
    else if (view === "clock") await clockView();
    else await machinesView();
  } catch (error) {
    show(h("h1", {}, "Something went wrong"), problem(error), h("p", {}, h("a", { href: "#/" }, "State machines")));
  }
}

async function region() {
  try {
    const stacks = await (await fetch("outputs.json")).json();
    outputs = Object.assign({}, ...Object.values(stacks));
  } catch {
    outputs = {}; // no outputs file: the platform view has nothing to read
  }
  const fromQuery = new URLSearchParams(location.search).get("region");
  if (fromQuery) return fromQuery;
  try {
    const text = JSON.stringify(outputs);
    const found = /arn:aws:states:([a-z0-9-]+):/.exec(text) || /arn:aws:[a-z0-9-]+:([a-z]{2}-[a-z]+-\d):/.exec(text);
    if (found) return found[1];
  } catch {
    // no outputs file: the default region below
  }
  return "eu-west-1";
}

// Drawn at its natural size in a scrolled box: a definition of forty states stays legible.
window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict", flowchart: { htmlLabels: false, useMaxWidth: false } });
call = client(await region());
window.addEventListener("hashchange", route);
await route();
