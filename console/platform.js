// The platform's own view: its orders and their outbox, the saga's ledgers, the claims, and every
// message parked in a dead-letter or failures queue, each linked to the executions that touched
// it. Read from DynamoDB and SQS through the same endpoint, the tables and queues named in the
// stack's outputs file (as `cdk deploy --outputs-file` writes it).

const LEDGERS = [
  ["Stock and reservations", "InventoryTableName"],
  ["Payments", "PaymentsTableName"],
  ["Shipments", "ShipmentsTableName"],
];
const MACHINE_OUTPUTS = /StateMachineArn$/;
const EXECUTION_ARN = /arn:aws:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_.:-]+/g;

function value(attribute) {
  const [type, inner] = Object.entries(attribute)[0];
  if (type === "S" || type === "B") return inner;
  if (type === "N") return Number(inner);
  if (type === "BOOL") return inner;
  if (type === "NULL") return null;
  if (type === "M") return Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, value(v)]));
  if (type === "L") return inner.map(value);
  if (type === "SS" || type === "NS" || type === "BS") return inner;
  return inner;
}

export async function scan(call, table) {
  const items = [];
  let start;
  do {
    const page = await call("dynamodb", "Scan", start ? { TableName: table, ExclusiveStartKey: start } : { TableName: table });
    items.push(...(page.Items || []).map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, value(v)]))));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

// Every queue a message is parked in: each queue named as another's dead-letter target, and the
// failures queues of the outputs. A message is read without being taken (visibility 0).
export async function parked(call, outputs) {
  const urls = (await call("sqs", "ListQueues", {})).QueueUrls || [];
  const attributes = await Promise.all(
    urls.map((url) => call("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] }).then((a) => [url, a.Attributes || {}])),
  );
  const deadLetterArns = new Set(
    attributes.map(([, a]) => (a.RedrivePolicy ? JSON.parse(a.RedrivePolicy).deadLetterTargetArn : null)).filter(Boolean),
  );
  const failures = new Set(Object.entries(outputs).filter(([k]) => /FailuresQueueUrl$/.test(k)).map(([, v]) => v.split("/").pop()));
  const parkedQueues = attributes.filter(([url, a]) => deadLetterArns.has(a.QueueArn) || failures.has(url.split("/").pop()));
  return Promise.all(
    parkedQueues.map(async ([url, a]) => {
      const received = await call("sqs", "ReceiveMessage", {
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ["All"],
      });
      return { url, name: url.split("/").pop(), count: Number(a.ApproximateNumberOfMessages || 0), messages: received.Messages || [] };
    }),
  );
}

export function executionsIn(text) {
  return [...new Set(String(text).match(EXECUTION_ARN) || [])];
}

// Which executions mention each id (an order, a claim): the newest executions of every state
// machine of the outputs, their input read once.
export async function executionIndex(call, outputs, perMachine = 100) {
  const machines = Object.entries(outputs).filter(([k]) => MACHINE_OUTPUTS.test(k)).map(([, v]) => v);
  const described = [];
  for (const machine of machines) {
    const listed = await call("states", "ListExecutions", { stateMachineArn: machine, maxResults: perMachine });
    const details = await Promise.all(
      (listed.executions || []).map((e) => call("states", "DescribeExecution", { executionArn: e.executionArn }).catch(() => null)),
    );
    described.push(...details.filter(Boolean));
  }
  return (needle) => described.filter((d) => String(d.input || "").includes(needle) || d.name.includes(needle));
}

export { LEDGERS };
