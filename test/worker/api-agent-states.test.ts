import { describe, expect, it } from "vitest";
import { call, createUser } from "./api-helpers.ts";

const session = (tag: string) => `sess_${tag}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe("agent states", () => {
  it("creates at version 1, updates with the current version, refuses a stale one", async () => {
    const user = await createUser();
    const id = session("v");
    const created = await call(`/v1/agent-states/${id}`, { method: "PUT", body: { userId: user.id, state: "running", data: { step: 1 } } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ sessionId: id, userId: user.id, state: "running", data: { step: 1 }, version: 1 });

    expect((await call(`/v1/agent-states/${id}`)).headers.get("x-cache")).toBe("miss");
    expect((await call(`/v1/agent-states/${id}`)).headers.get("x-cache")).toBe("l1");

    const updated = await call(`/v1/agent-states/${id}`, { method: "PUT", body: { userId: Number(user.id), state: "waiting", data: { step: 2 }, version: 1 } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ state: "waiting", data: { step: 2 }, version: 2 });

    const read = await call(`/v1/agent-states/${id}`);
    expect(read.json).toMatchObject({ state: "waiting", version: 2 });

    const stale = await call(`/v1/agent-states/${id}`, { method: "PUT", body: { userId: user.id, state: "done", version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: "version_conflict", detail: expect.stringContaining("version 2") });

    const recreate = await call(`/v1/agent-states/${id}`, { method: "PUT", body: { userId: user.id, state: "idle" } });
    expect(recreate.status).toBe(409);
    expect(recreate.json.code).toBe("version_conflict");
    expect((await call(`/v1/agent-states/${id}`)).json).toMatchObject({ state: "waiting", version: 2 });
  });

  it("answers 404 for an unknown session and 422 unknown_user for a missing user", async () => {
    expect((await call(`/v1/agent-states/${session("none")}`)).status).toBe(404);
    expect((await call(`/v1/agent-states/${session("none")}`, { method: "PUT", body: { userId: "1", state: "idle", version: 3 } })).status).toBe(404);
    const orphan = await call(`/v1/agent-states/${session("orphan")}`, { method: "PUT", body: { userId: "999999999999", state: "idle" } });
    expect(orphan.status).toBe(422);
    expect(orphan.json.code).toBe("unknown_user");
    const badId = await call("/v1/agent-states/has%20space");
    expect(badId.status).toBe(400);
  });

  it("lists a user's sessions, every one exactly once across pages", async () => {
    const user = await createUser();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const id = session(`l${i}`);
      ids.add(id);
      expect((await call(`/v1/agent-states/${id}`, { method: "PUT", body: { userId: user.id, state: "idle", data: { i } } })).status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`/v1/agent-states?userId=${user.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.items!.map((s) => String(s.sessionId)));
      cursor = res.json.nextCursor as string | null;
    } while (cursor !== null);
    expect(seen.sort()).toEqual([...ids].sort());
  });
});
