import { runConsumer } from "../consumer-runtime/consumer-main.js";
import { processOrder } from "./process.js";

// Pricing is computation: CPU-shaped work.
runConsumer({
  name: "order",
  type: "com.example.order.created",
  shape: "cpu",
  workMs: 2,
  process: processOrder,
});
