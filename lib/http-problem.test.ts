import { describe, expect, it } from "vitest";
import { HttpError, problemResponse } from "./http-problem.js";

describe("problemResponse", () => {
  it("answers an HttpError with its own status, fields, headers and extensions", async () => {
    const err = new HttpError(
      404,
      "Not Found",
      "no route for GET /x",
      [{ field: "path", message: "is unknown" }],
      { "retry-after": "1" },
      { accepted: 0 },
    );
    const r = problemResponse(err, "/x");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.headers.get("retry-after")).toBe("1");
    expect(await r.json()).toEqual({
      type: "about:blank",
      title: "Not Found",
      status: 404,
      detail: "no route for GET /x",
      instance: "/x",
      errors: [{ field: "path", message: "is unknown" }],
      accepted: 0,
    });
  });

  it("answers anything else as a bare 500 that tells nothing of the error, and reports it", async () => {
    const seen: unknown[] = [];
    const r = problemResponse(new Error("secret detail"), "/y", {
      onUnexpected: (e) => seen.push(e),
    });
    expect(r.status).toBe(500);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 500, title: "Internal Server Error", instance: "/y" });
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(seen).toHaveLength(1);
  });
});
