import { createHash } from "node:crypto";
import type { CloudEvent } from "cloudevents";

interface PaymentRequested {
  paymentId: string;
  orderId: string;
  amount: number;
  currency: string;
}

/** Authorises the payment; the authorisation code is derived from the payment id, so a retry gets the same one. */
export function processPayment(event: CloudEvent<unknown>): Record<string, unknown> {
  const payment = event.data as PaymentRequested;
  const authorization = createHash("sha256").update(payment.paymentId).digest("hex").slice(0, 12);
  return {
    paymentId: payment.paymentId,
    orderId: payment.orderId,
    status: "authorized",
    authorization,
  };
}
