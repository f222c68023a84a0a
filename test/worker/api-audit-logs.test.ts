import { describe, expect, it } from "vitest";
import { call, createUser } from "./api-helpers.ts";

describe("audit logs", () => {
  it("appends and queries by user, action and time range, newest first", async () => {
    const user = await createUser();
    const at = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m)).toISOString();
    for (const [minute, action] of [[1, "login"], [2, "export"], [3, "login"], [4, "logout"]] as const) {
      const res = await call("/v1/audit-logs", {
        method: "POST",
        body: { userId: user.id, action, resource: "session", metadata: { minute, note: "'; DROP TABLE audit_logs; --" }, occurredAt: at(minute) },
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ userId: user.id, action, occurredAt: at(minute), metadata: { minute } });
    }
    const logins = await call(`/v1/audit-logs?userId=${user.id}&action=login`);
    expect(logins.json.items!.map((l) => l.occurredAt)).toEqual([at(3), at(1)]);
    const window = await call(`/v1/audit-logs?userId=${user.id}&from=${at(2)}&to=${at(4)}`);
    expect(window.json.items!.map((l) => l.action)).toEqual(["login", "export"]);
    const created = await call(`/v1/audit-logs?userId=${user.id}&action=user.created`);
    expect(created.json.items).toHaveLength(1);
  });

  it("pages through rows sharing one timestamp exactly once (microsecond keyset)", async () => {
    const user = await createUser();
    const same = "2031-06-01T12:00:00.123456Z";
    for (let i = 0; i < 5; i++) {
      const res = await call("/v1/audit-logs", { method: "POST", body: { userId: user.id, action: "tick", resource: `r${i}`, occurredAt: same } });
      expect(res.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`/v1/audit-logs?userId=${user.id}&action=tick&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...res.json.items!.map((l) => String(l.id)));
      cursor = res.json.nextCursor as string | null;
    } while (cursor !== null);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it("accepts system actions without a user and refuses an unknown user with 422", async () => {
    const system = await call("/v1/audit-logs", { method: "POST", body: { action: "cron.run", resource: "jobs/rollups", userId: null } });
    expect(system.status).toBe(201);
    expect(system.json.userId).toBeNull();
    const unknown = await call("/v1/audit-logs", { method: "POST", body: { action: "x", resource: "y", userId: "999999999999" } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.code).toBe("unknown_user");
  });
});
