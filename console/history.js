// What an execution's event history says about each state: how it ended, what it was given and
// gave back, its errors, its attempts and the (virtual) time it took. Read from
// GetExecutionHistory alone, as the Step Functions console reads it.

const FAILURE_DETAILS = [
  "taskFailedEventDetails",
  "lambdaFunctionFailedEventDetails",
  "taskTimedOutEventDetails",
  "lambdaFunctionTimedOutEventDetails",
  "activityFailedEventDetails",
  "mapRunFailedEventDetails",
  "executionFailedEventDetails",
  "executionTimedOutEventDetails",
  "executionAbortedEventDetails",
];
const ATTEMPT_EVENTS = new Set(["TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"]);

function failureOf(event) {
  for (const key of FAILURE_DETAILS) {
    if (event[key]) return { error: event[key].error || "", cause: event[key].cause || "", type: event.type };
  }
  return null;
}

function seconds(timestamp) {
  if (typeof timestamp === "number") return timestamp;
  return Date.parse(timestamp) / 1000;
}

// {states: Map(name -> detail), outcomes: {name: outcome}, waiting: [{state, scheduled}]}
export function analyse(events, status, definitionStates) {
  const states = new Map();
  const order = [];
  let current = null;
  let caughtSeen = false;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails;
    const exited = event.stateExitedEventDetails;
    if (entered) {
      const detail = states.get(entered.name) || {
        name: entered.name,
        visits: 0,
        attempts: [],
        errors: [],
        input: null,
        output: null,
        enteredAt: null,
        exitedAt: null,
        outcome: "running",
        afterCatch: caughtSeen,
      };
      detail.visits += 1;
      detail.input = entered.input ?? null;
      detail.enteredAt = seconds(event.timestamp);
      detail.outcome = "running";
      states.set(entered.name, detail);
      order.push(entered.name);
      current = detail;
      continue;
    }
    if (exited) {
      const detail = states.get(exited.name);
      if (detail) {
        detail.output = exited.output ?? null;
        detail.exitedAt = seconds(event.timestamp);
        detail.outcome = detail.errors.length && detail.errorUnresolved ? "caught" : "succeeded";
        if (detail.outcome === "caught") caughtSeen = true;
      }
      if (current === detail) current = null;
      continue;
    }
    if (!current) continue;
    if (ATTEMPT_EVENTS.has(event.type)) {
      const details = event.taskScheduledEventDetails || event.lambdaFunctionScheduledEventDetails || {};
      current.attempts.push({ at: seconds(event.timestamp), parameters: details.parameters ?? details.input ?? null, resource: details.resource || "" });
      current.errorUnresolved = false;
      continue;
    }
    if (event.type === "TaskSucceeded" || event.type === "LambdaFunctionSucceeded") {
      current.errorUnresolved = false;
      continue;
    }
    const failure = failureOf(event);
    if (failure) {
      current.errors.push({ ...failure, at: seconds(event.timestamp) });
      current.errorUnresolved = true;
    }
  }
  // a state that failed and was left for another (its Catch) was caught; the last one failed
  const ended = status !== "RUNNING";
  for (let i = 0; i < order.length; i += 1) {
    const detail = states.get(order[i]);
    if (detail.outcome === "running" && detail.errorUnresolved) {
      detail.outcome = i < order.length - 1 ? "caught" : ended ? "failed" : "running";
    } else if (detail.outcome === "running" && ended) {
      detail.outcome = status === "SUCCEEDED" ? "succeeded" : "failed";
    }
    if (detail.outcome === "caught") {
      for (let j = i + 1; j < order.length; j += 1) states.get(order[j]).afterCatch = true;
    }
  }
  const waiting = [];
  for (const detail of states.values()) {
    const last = detail.attempts[detail.attempts.length - 1];
    const definition = definitionStates.get(detail.name)?.state || {};
    const waitsForToken = String(definition.Resource || "").endsWith(".waitForTaskToken");
    if (status === "RUNNING" && detail.outcome === "running" && waitsForToken && last && !detail.errorUnresolved) {
      detail.outcome = "waiting";
      waiting.push({ state: detail.name, parameters: last.parameters, definition });
    }
  }
  const outcomes = {};
  for (const detail of states.values()) {
    outcomes[detail.name] =
      detail.outcome === "succeeded" && detail.afterCatch ? "compensating" : detail.outcome;
  }
  return { states, order, outcomes, waiting };
}

// Where a task hands its token out: the path of the Parameters key whose value is $$.Task.Token.
export function tokenPath(parameters, path = []) {
  if (!parameters || typeof parameters !== "object") return null;
  for (const [key, value] of Object.entries(parameters)) {
    if (key.endsWith(".$") && value === "$$.Task.Token") return [...path, key.slice(0, -2)];
    const deeper = tokenPath(value, [...path, key]);
    if (deeper) return deeper;
  }
  return null;
}

export function tokenOf(waiting) {
  const path = tokenPath(waiting.definition.Parameters || waiting.definition.Arguments);
  if (!path) return null;
  let value = typeof waiting.parameters === "string" ? JSON.parse(waiting.parameters) : waiting.parameters;
  for (const key of path) value = value?.[key];
  return typeof value === "string" ? value : null;
}

// Where RedriveExecution starts again: the last top-level state entered and not exited (as the
// runtime's redrive and AWS's do), with the input it was given; null when there is none.
export function restartPoint(events, definition) {
  const topLevel = new Set(Object.keys(definition.States || {}));
  let entered = null;
  for (const event of events) {
    const inside = event.stateEnteredEventDetails;
    if (inside && topLevel.has(inside.name)) entered = { name: inside.name, input: inside.input };
    const out = event.stateExitedEventDetails;
    if (out && entered && out.name === entered.name) entered = null;
  }
  return entered;
}

const ENDED = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"]);

// The event id a running execution's page watches for news after (a newer event redraws it), or
// null to redraw at the next look. The status and the history are read by two calls: an execution
// that ended between them reads RUNNING with its end already in the history, and watching for an
// event after its end would wait forever on a page that says RUNNING.
export function followFrom(status, events) {
  if (status !== "RUNNING") return undefined;
  const newest = events[events.length - 1];
  return newest && !ENDED.has(newest.type) ? newest.id : null;
}
