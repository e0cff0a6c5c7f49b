/**
 * The event types the ingress accepts, one JSON Schema each (draft-07) in ./schemas.
 * Adding a type: drop its schema beside the others and list it here (a test fails if a schema
 * file is not listed).
 */
import notificationRequested from "./schemas/com.example.notification.requested.json" with { type: "json" };
import orderCreated from "./schemas/com.example.order.created.json" with { type: "json" };
import paymentRequested from "./schemas/com.example.payment.requested.json" with { type: "json" };
import reportRequested from "./schemas/com.example.report.requested.json" with { type: "json" };

export interface EventSchema {
  $id: string;
  [keyword: string]: unknown;
}

export const schemas: readonly EventSchema[] = [
  orderCreated,
  paymentRequested,
  notificationRequested,
  reportRequested,
];
