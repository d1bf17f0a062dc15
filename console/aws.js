// The AWS APIs the endpoint answers, called from the page as an SDK calls them (JSON protocol).
//
// The page is served from the endpoint's own origin, so no CORS is involved. The endpoint routes a
// request by the service named in its Authorization header's credential scope, as AWS's SigV4
// puts it; it checks no signature, so the page names the service and signs nothing.

const PROTOCOLS = {
  states: { prefix: "AWSStepFunctions", version: "1.0" },
  dynamodb: { prefix: "DynamoDB_20120810", version: "1.0" },
  sqs: { prefix: "AmazonSQS", version: "1.0" },
};

export class AwsError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.detail = message;
    this.status = status;
  }
}

export function client(region) {
  return async function call(service, operation, request = {}) {
    const protocol = PROTOCOLS[service];
    const response = await fetch("/", {
      method: "POST",
      headers: {
        "Content-Type": `application/x-amz-json-${protocol.version}`,
        "X-Amz-Target": `${protocol.prefix}.${operation}`,
        Authorization: `AWS4-HMAC-SHA256 Credential=console/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=unsigned`,
      },
      body: JSON.stringify(request),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const code = String(body.__type || body.code || response.status).split("#").pop();
      throw new AwsError(code, body.message || body.Message || text, response.status);
    }
    return body;
  };
}

// Every page of a paged Step Functions listing.
export async function everyPage(call, service, operation, request, key) {
  const items = [];
  let nextToken;
  do {
    const page = await call(service, operation, nextToken ? { ...request, nextToken } : request);
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}
