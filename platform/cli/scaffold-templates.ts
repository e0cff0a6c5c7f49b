/** The files `leveler new` writes for a consumer (scaffold.ts derives the manifests). */

export interface TemplateVars {
  name: string;
  type: string;
  shape: "cpu" | "io";
  /** The string field the schema requires, `<name>Id`. */
  idField: string;
  /** The TypeScript name of the event's data. */
  dataType: string;
}

export function schema(v: TemplateVars): string {
  const doc = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: v.type,
    title: `${v.type}: describe the event's data here`,
    type: "object",
    required: [v.idField],
    properties: { [v.idField]: { type: "string", minLength: 1 } },
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

export function schemaImport(ident: string, type: string): string {
  return `import ${ident} from "./schemas/${type}.json" with { type: "json" };`;
}

export function sampleLine(v: TemplateVars): string {
  const line = `  ${JSON.stringify(v.type)}: (id, n) => ({ ${v.idField}: \`\${id}-${v.name}\${n}\` }),`;
  if (line.length <= 100) return line;
  return `  ${JSON.stringify(v.type)}: (id, n) => ({\n    ${v.idField}: \`\${id}-${v.name}\${n}\`,\n  }),`;
}

export function main(v: TemplateVars): string {
  return `import { runConsumer } from "../consumer-runtime/consumer-main.js";
import { fromHandler } from "../consumer-runtime/knative-handler.js";
import { handle } from "./handle.js";

// WORK_SHAPE (${v.shape}) and WORK_MS only shape the simulated work benchmarks add; 0 adds none.
runConsumer({
  name: ${JSON.stringify(v.name)},
  type: ${JSON.stringify(v.type)},
  shape: ${JSON.stringify(v.shape)},
  workMs: 0,
  process: fromHandler(${JSON.stringify(v.name)}, handle),
});
`;
}

export function handler(v: TemplateVars): string {
  return `import type { CloudEvent } from "cloudevents";
import type { HandlerContext } from "../consumer-runtime/knative-handler.js";

/** The data of a ${v.type} event: functions/events/schemas/${v.type}.json. */
export interface ${v.dataType} {
  ${v.idField}: string;
  [field: string]: unknown;
}

/**
 * Handles one event, as a Knative Functions CloudEvent handler does: what it returns (data, or a
 * CloudEvent whose data is used) is the data of the \`.processed\` reply. Throwing is a
 * transient failure: the event is delivered again.
 */
export const handle = (
  context: HandlerContext<${v.dataType}>,
  event: CloudEvent<${v.dataType}>,
): Record<string, unknown> => {
  const ${v.idField} = event.data?.${v.idField};
  context.log.info(\`\${event.type} \${event.id}: ${v.idField} \${${v.idField}}\`);
  return { ${v.idField}, handled: true };
};
`;
}

export function handlerTest(v: TemplateVars): string {
  return `import { CloudEvent } from "cloudevents";
import { describe, expect, it } from "vitest";
import { handle } from "./handle.js";

const lines: string[] = [];
const log = {
  info: (m: string) => void lines.push(m),
  warn: (m: string) => void lines.push(m),
  error: (m: string) => void lines.push(m),
  debug: (m: string) => void lines.push(m),
};

describe("${v.name}", () => {
  it("answers a ${v.type} with its ${v.idField}", () => {
    const event = new CloudEvent({
      type: ${JSON.stringify(v.type)},
      source: "/test",
      data: { ${v.idField}: "x-1" },
    });
    expect(handle({ log, cloudevent: event }, event)).toEqual({
      ${v.idField}: "x-1",
      handled: true,
    });
    expect(lines).toHaveLength(1);
  });
});
`;
}
