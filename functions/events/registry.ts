/**
 * Validates an event's data against its type's schema. Errors name the field at fault in a
 * path a person can read (`data.items[0].quantity`), which is what the problem+json answer shows.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { FieldError } from "../../lib/http-problem.js";
import type { EventSchema } from "./schemas.js";

export type { FieldError };

export interface EventRegistry {
  readonly types: readonly string[];
  has(type: string): boolean;
  /** The problems with `data` for `type`, empty when it is valid. */
  validate(type: string, data: unknown): FieldError[];
}

export function createEventRegistry(schemas: readonly EventSchema[]): EventRegistry {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validators = new Map<string, ValidateFunction>();
  for (const schema of schemas) {
    const { $schema: _ignored, ...rest } = schema;
    validators.set(schema.$id, ajv.compile(rest));
  }
  const types = [...validators.keys()].sort();
  return {
    types,
    has: (type) => validators.has(type),
    validate(type, data) {
      const validate = validators.get(type);
      if (!validate)
        return [
          { field: "type", message: `unknown type "${type}"; known types: ${types.join(", ")}` },
        ];
      if (data === undefined) return [{ field: "data", message: "is required" }];
      return validate(data) ? [] : (validate.errors ?? []).map(toFieldError);
    },
  };
}

function toFieldError(error: ErrorObject): FieldError {
  let path = "data" + error.instancePath.split("/").slice(1).map(segment).join("");
  if (error.keyword === "required")
    path += segment(String((error.params as { missingProperty: string }).missingProperty));
  const message =
    error.keyword === "required"
      ? "is required"
      : error.keyword === "enum"
        ? `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
        : (error.message ?? "is invalid");
  return { field: path, message };
}

function segment(part: string): string {
  const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
  if (/^\d+$/.test(key)) return `[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
