// A state machine's definition (ASL) drawn as a Mermaid flowchart, with an execution's path on it.
//
// Why Mermaid: it lays out a flowchart from text, Map and Parallel become nested subgraphs, and the
// project's README diagrams (visualize/diagrams.py) are Mermaid already, so the console and the
// README draw a definition the same way. The layout is Mermaid's; this module only says what is
// connected to what, and which class (outcome) each visited state takes.

const OUTCOME_STYLES = {
  succeeded: "fill:#dff3e3,stroke:#1b6e33,stroke-width:2px,color:#0b2e16",
  caught: "fill:#fff1d6,stroke:#8a5300,stroke-width:3px,color:#3d2500",
  failed: "fill:#fde0e0,stroke:#a4161a,stroke-width:3px,color:#4a0a0c",
  compensating: "fill:#ece3fb,stroke:#5a2ca0,stroke-width:2px,color:#24104a",
  waiting: "fill:#dceeff,stroke:#0b57a4,stroke-width:3px,stroke-dasharray:6 3,color:#06294d",
  running: "fill:#fff9c4,stroke:#6d5f00,stroke-width:3px,color:#2e2800",
};
export const OUTCOMES = Object.keys(OUTCOME_STYLES);

function label(text) {
  return `"${String(text).replace(/"/g, "#quot;").replace(/[<>]/g, " ")}"`;
}

// Every state of the definition, nested ones included: name -> {id, state, parentId}.
export function layout(definition) {
  const nodes = new Map();
  let counter = 0;
  const lines = ["flowchart TD", "  start((start))"];
  const edges = [];

  function visit(scope, indent, parentId) {
    for (const [name, state] of Object.entries(scope.States || {})) {
      const id = `s${counter++}`;
      if (!nodes.has(name)) nodes.set(name, { id, state, parentId });
      const type = state.Type;
      if (type === "Map" || type === "Parallel") {
        lines.push(`${indent}subgraph ${id} [${label(`${type}: ${name}`)}]`);
        lines.push(`${indent}  direction TB`);
        const branches =
          type === "Map" ? [state.ItemProcessor || state.Iterator || { States: {} }] : state.Branches || [];
        branches.forEach((branch, index) => {
          if (type === "Parallel") lines.push(`${indent}  subgraph ${id}b${index} [${label(`branch ${index + 1}`)}]`);
          visit(branch, indent + (type === "Parallel" ? "    " : "  "), id);
          if (type === "Parallel") lines.push(`${indent}  end`);
        });
        lines.push(`${indent}end`);
      } else {
        const shape =
          type === "Choice" ? `{${label(name)}}` : type === "Succeed" || type === "Fail" ? `([${label(name)}])` : `[${label(name)}]`;
        lines.push(`${indent}${id}${shape}`);
      }
    }
    if (scope.StartAt && !parentId) edges.push(["start", null, "", false, scope.StartAt]);
    for (const [name, state] of Object.entries(scope.States || {})) {
      const from = nodes.get(name)?.id;
      const to = (target) => nodes.get(target)?.id;
      if (state.Next) edges.push([from, to(state.Next), ""]);
      if (state.Default) edges.push([from, to(state.Default), "Default"]);
      (state.Choices || []).forEach((choice, index) => edges.push([from, to(choice.Next), `rule ${index + 1}`]));
      (state.Catch || []).forEach((c) => edges.push([from, to(c.Next), `catch ${(c.ErrorEquals || []).join(", ")}`, true]));
      if (state.End) edges.push([from, "done", ""]);
    }
  }

  visit(definition, "  ", null);
  lines.push("  done((end))");
  for (const [from, to, text, dotted, startAt] of edges) {
    if (from === "start") {
      lines.push(`  start --> ${nodes.get(startAt)?.id}`);
      continue;
    }
    if (!from || !to) continue;
    const arrow = dotted ? "-.->" : "-->";
    lines.push(text ? `  ${from} ${arrow}|${label(text)}| ${to}` : `  ${from} ${arrow} ${to}`);
  }
  return { nodes, lines };
}

// The Mermaid text of a definition, each visited state classed by its outcome ({name: outcome}).
export function mermaidText(definition, outcomes = {}) {
  const { nodes, lines } = layout(definition);
  for (const [outcome, style] of Object.entries(OUTCOME_STYLES)) lines.push(`  classDef ${outcome} ${style}`);
  for (const [name, outcome] of Object.entries(outcomes)) {
    const node = nodes.get(name);
    if (node && OUTCOME_STYLES[outcome]) lines.push(`  class ${node.id} ${outcome}`);
  }
  return lines.join("\n");
}
