/**
 * Validates an event's data against its type's schema. Errors name the field at fault in a
 * path a person can read (`data.items[0].quantity`), which is what the problem+json answer shows.
 *
 * The work and the answer are bounded whatever the data: a first pass stops at the first error
 * (Ajv's `allErrors: false`), so a 60,000-item array costs one error, not 180,000. Only data small
 * enough that listing every error is cheap gets a second pass that finds them all; the answer
 * lists at most `MAX_LISTED` of them and counts the rest.
 */
import type { ErrorObject } from "ajv";
import type { FieldError } from "../../lib/http-problem.js";
import type { EventSchema } from "./schemas.js";
import { compileValidators, type CompileValidators } from "./validators.js";

export type { FieldError };

/** Errors listed in one answer; the rest are counted. */
export const MAX_LISTED = 10;
/**
 * Data up to this size (serialised) is checked for every error. 16 KiB of the worst data (`[{},…]`
 * against an array of objects with three required fields) yields ~16,000 errors in the second
 * pass: a few MB for a moment, well inside the ingress's 96 MB heap.
 */
export const FULL_CHECK_BYTES = 16 * 1024;

export interface DataCheck {
  /** At most MAX_LISTED errors, empty when the data is valid. */
  errors: FieldError[];
  /**
   * Errors found beyond those listed; `undefined` when the data was too large to look past the
   * first error (there may be more).
   */
  more: number | undefined;
}

export interface EventRegistry {
  readonly types: readonly string[];
  has(type: string): boolean;
  /** The problems with `data` for `type` (at most MAX_LISTED), empty when it is valid. */
  validate(type: string, data: unknown): FieldError[];
  /** As validate, and how many more errors there are. */
  check(type: string, data: unknown): DataCheck;
}

/** `compile` is the bundle's validators built at build time, or Ajv at start (validators.ts). */
export function createEventRegistry(
  schemas: readonly EventSchema[],
  compile: CompileValidators = compileValidators,
): EventRegistry {
  const validators = compile(schemas);
  const types = [...validators.keys()].sort();
  const check = (type: string, data: unknown): DataCheck => {
    const validate = validators.get(type);
    if (!validate)
      return {
        errors: [
          { field: "type", message: `unknown type "${type}"; known types: ${types.join(", ")}` },
        ],
        more: 0,
      };
    if (data === undefined) return { errors: [{ field: "data", message: "is required" }], more: 0 };
    if (validate.first(data)) return { errors: [], more: 0 };
    const firstError = (validate.first.errors ?? []).map(toFieldError);
    if (Buffer.byteLength(JSON.stringify(data)) > FULL_CHECK_BYTES)
      return { errors: firstError, more: undefined };
    validate.every(data);
    const all = validate.every.errors ?? [];
    return {
      errors: all.slice(0, MAX_LISTED).map(toFieldError),
      more: Math.max(0, all.length - MAX_LISTED),
    };
  };
  return {
    types,
    has: (type) => validators.has(type),
    check,
    validate: (type, data) => check(type, data).errors,
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
