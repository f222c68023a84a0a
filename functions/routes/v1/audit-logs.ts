/** /v1/audit-logs: append, and query by user, action and time range, newest first. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppendAuditLogBody, AuditLog, AuditLogPage, QueryAuditLogsQuery } from "../../../shared/api/schemas/audit-logs.ts";
import type { AppEnv } from "../../env.ts";
import { readContext } from "../../middleware/read-context.ts";
import { servedValue } from "../../middleware/timing.ts";
import { requireServices } from "../../middleware/services.ts";
import { jsonContent, jsonRequest, problems, scopedRoute } from "./define.ts";

const appendAuditLog = scopedRoute("write", {
  method: "post",
  path: "/audit-logs",
  tags: ["audit logs"],
  summary: "Append an audit record",
  request: { body: jsonRequest(AppendAuditLogBody) },
  responses: { 201: jsonContent(AuditLog, "The stored record"), ...problems(400, 415, 422) },
});

const queryAuditLogs = scopedRoute("read", {
  method: "get",
  path: "/audit-logs",
  tags: ["audit logs"],
  summary: "Audit records by user, action and time range, newest first, with cursor pagination",
  request: { query: QueryAuditLogsQuery },
  responses: { 200: jsonContent(AuditLogPage, "A page of records"), ...problems(400) },
});

export const auditLogRoutes = new OpenAPIHono<AppEnv>()
  .openapi(appendAuditLog, async (c) => {
    const body = c.req.valid("json");
    return c.json(servedValue(c, await requireServices(c).auditLogs.append(body, readContext(c))), 201);
  })
  .openapi(queryAuditLogs, async (c) => {
    const query = c.req.valid("query");
    return c.json(servedValue(c, await requireServices(c).auditLogs.query(query, readContext(c))), 200);
  });
