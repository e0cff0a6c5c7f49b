/** The load-leveling dashboard on the local platform's status server. */
export { controlAuth, createSessionAuth, sameOrigin, type SessionAuth } from "./auth.js";
export { BurstSender, MAX_BURST, parseBurstRequest } from "./burst.js";
export { createDashboardRoutes, dashboardDeps, type DashboardDeps } from "./routes.js";
