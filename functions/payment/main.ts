import { runConsumer } from "../consumer-runtime/consumer-main.js";
import { processPayment } from "./process.js";

// A payment gateway call: I/O-shaped work.
runConsumer({
  name: "payment",
  type: "com.example.payment.requested",
  shape: "io",
  workMs: 10,
  process: processPayment,
});
