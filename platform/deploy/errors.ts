/** A deploy step that failed for a reason the user can act on: shown as one line, no stack. */
export class DeployError extends Error {
  override readonly name = "DeployError";
}
