// The console's reading of a history (node --test; no browser): outcomes, attempts, the token a
// waiting task handed out, and where a redrive starts.
import assert from "node:assert/strict";
import { test } from "node:test";

import { layout, mermaidText } from "../asl_graph.js";
import { analyse, followFrom, restartPoint, tokenOf } from "../history.js";

const definition = {
  StartAt: "Reserve",
  States: {
    Reserve: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Next: "Pay", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Undo" }] },
    Pay: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: { FunctionName: "pay", Payload: { "token.$": "$$.Task.Token", "order.$": "$.order" } },
      Catch: [{ ErrorEquals: ["PaymentDeclined"], Next: "Undo" }],
      Next: "Lines",
    },
    Lines: { Type: "Map", ItemProcessor: { StartAt: "Line", States: { Line: { Type: "Pass", End: true } } }, Next: "Both" },
    Both: {
      Type: "Parallel",
      Branches: [
        { StartAt: "Left", States: { Left: { Type: "Pass", End: true } } },
        { StartAt: "Right", States: { Right: { Type: "Pass", End: true } } },
      ],
      End: true,
    },
    Undo: { Type: "Pass", Next: "Refused" },
    Refused: { Type: "Fail", Error: "Refused" },
  },
};

let id = 0;
const at = (seconds) => 1_700_000_000 + seconds;
const entered = (name, input, t) => ({ id: ++id, type: "TaskStateEntered", timestamp: at(t), stateEnteredEventDetails: { name, input } });
const exited = (name, output, t) => ({ id: ++id, type: "TaskStateExited", timestamp: at(t), stateExitedEventDetails: { name, output } });
const scheduled = (t, parameters = "{}") => ({ id: ++id, type: "TaskScheduled", timestamp: at(t), taskScheduledEventDetails: { parameters, resource: "invoke" } });
const failed = (t, error) => ({ id: ++id, type: "TaskFailed", timestamp: at(t), taskFailedEventDetails: { error, cause: `${error} cause` } });
const succeeded = (t) => ({ id: ++id, type: "TaskSucceeded", timestamp: at(t) });

test("a retried step that succeeds is succeeded, with each attempt and its time", () => {
  const events = [entered("Reserve", "{}", 0), scheduled(0), failed(1, "Throttled"), scheduled(3), succeeded(4), exited("Reserve", '{"ok":1}', 4)];
  const { states, outcomes } = analyse(events, "RUNNING", layout(definition).nodes);
  assert.equal(outcomes.Reserve, "succeeded");
  assert.deepEqual(states.get("Reserve").attempts.map((a) => a.at), [at(0), at(3)]);
  assert.equal(states.get("Reserve").errors[0].error, "Throttled");
  assert.equal(states.get("Reserve").exitedAt - states.get("Reserve").enteredAt, 4);
});

test("a caught failure, then the compensation after it, then the failed end", () => {
  const events = [
    entered("Reserve", "{}", 0), scheduled(0), succeeded(1), exited("Reserve", "{}", 1),
    entered("Pay", "{}", 1), scheduled(1), failed(2, "PaymentDeclined"), exited("Pay", "{}", 2),
    entered("Undo", "{}", 2), exited("Undo", "{}", 2),
    entered("Refused", "{}", 2),
  ];
  const { outcomes } = analyse(events, "FAILED", layout(definition).nodes);
  assert.deepEqual(outcomes, { Reserve: "succeeded", Pay: "caught", Undo: "compensating", Refused: "failed" });
  assert.deepEqual(restartPoint(events, definition), { name: "Refused", input: "{}" });
});

test("a task waiting for its token is waiting, and its token is read where the definition put it", () => {
  const parameters = JSON.stringify({ FunctionName: "pay", Payload: { token: "tok-123", order: {} } });
  const events = [entered("Pay", "{}", 0), scheduled(0, parameters)];
  const { outcomes, waiting } = analyse(events, "RUNNING", layout(definition).nodes);
  assert.equal(outcomes.Pay, "waiting");
  assert.equal(tokenOf(waiting[0]), "tok-123");
  assert.deepEqual(analyse(events, "SUCCEEDED", layout(definition).nodes).waiting, []);
});

test("the graph draws Map and Parallel as boxes of their own states, and classes the path", () => {
  const text = mermaidText(definition, { Reserve: "succeeded", Pay: "waiting" });
  const { nodes } = layout(definition);
  assert.match(text, new RegExp(`subgraph ${nodes.get("Lines").id} \\["Map: Lines"\\]`));
  assert.match(text, new RegExp(`subgraph ${nodes.get("Both").id} \\["Parallel: Both"\\]`));
  assert.equal(nodes.get("Line").parentId, nodes.get("Lines").id);
  assert.match(text, new RegExp(`class ${nodes.get("Pay").id} waiting`));
  assert.match(text, /-\.->\|"catch PaymentDeclined"\|/);
});

test("a running page watches for news after its newest event, unless that event is the end", () => {
  const started = { id: 1, type: "ExecutionStarted" };
  const entered = { id: 2, type: "TaskStateEntered" };
  // running, history still going: news is any event after the newest read
  assert.equal(followFrom("RUNNING", [started, entered]), 2);
  // read RUNNING, but the history read a moment later already ends: redraw at the next look
  assert.equal(followFrom("RUNNING", [started, entered, { id: 3, type: "ExecutionSucceeded" }]), null);
  assert.equal(followFrom("RUNNING", []), null);
  // an ended execution is not watched
  assert.equal(followFrom("SUCCEEDED", [started, { id: 2, type: "ExecutionSucceeded" }]), undefined);
});
