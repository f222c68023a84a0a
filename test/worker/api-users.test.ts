import { describe, expect, it } from "vitest";
import { apiEnv, call, createUser, uniqueEmail } from "./api-helpers.ts";

describe("users", () => {
  it("creates a user and reads it back: miss first, then l1, with server-timing", async () => {
    const user = await createUser({ displayName: "Ada" });
    expect(user).toMatchObject({ id: expect.stringMatching(/^\d+$/), displayName: "Ada", planTier: "pro", role: "member" });

    const first = await call(`/v1/users/${user.id}`);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ ...user });
    expect(first.headers.get("x-cache")).toBe("miss");
    expect(first.headers.get("server-timing")).toMatch(/^cache;desc=miss, db;dur=\d+\.\d, total;dur=\d+\.\d$/);

    const second = await call(`/v1/users/${user.id}`);
    expect(second.headers.get("x-cache")).toBe("l1");
    expect(second.headers.get("server-timing")).toMatch(/^cache;desc=l1, db;dur=0\.0, total;dur=/);
    expect(second.json).toEqual(first.json);
  });

  it("returns the new value on the read right after a write", async () => {
    const user = await createUser({ planTier: "free" });
    expect((await call(`/v1/users/${user.id}`)).json.planTier).toBe("free");
    expect((await call(`/v1/users/${user.id}`)).headers.get("x-cache")).toBe("l1");

    const patched = await call(`/v1/users/${user.id}`, { method: "PATCH", body: { planTier: "enterprise", displayName: null } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ planTier: "enterprise", displayName: null });
    expect(patched.headers.get("x-cache")).toBe("bypass");

    // The write re-read the row's cached point read in waitUntil (refresh after write): the read
    // after it is an L1 hit, with the new value.
    const after = await call(`/v1/users/${user.id}`);
    expect(after.json).toMatchObject({ planTier: "enterprise", displayName: null });
    expect(after.headers.get("x-cache")).toBe("l1");
  });

  it("without refresh after write, the read after a write goes back to the database for the new value", async () => {
    const env = apiEnv({ CACHE_REFRESH_AFTER_WRITE: "0" });
    const user = await createUser({ planTier: "free" });
    expect((await call(`/v1/users/${user.id}`, { env })).json.planTier).toBe("free");
    expect((await call(`/v1/users/${user.id}`, { env })).headers.get("x-cache")).toBe("l1");
    expect((await call(`/v1/users/${user.id}`, { env, method: "PATCH", body: { planTier: "team" } })).status).toBe(200);
    const after = await call(`/v1/users/${user.id}`, { env });
    expect(after.json.planTier).toBe("team");
    expect(after.headers.get("x-cache")).toBe("miss");
  });

  it("finds a user by email regardless of case", async () => {
    const email = uniqueEmail("Mixed");
    const user = await createUser({ email });
    const res = await call(`/v1/users/by-email?email=${encodeURIComponent(email.toUpperCase())}`);
    expect(res.status).toBe(200);
    expect(res.json.id).toBe(user.id);
  });

  it("answers 409 email_taken for a duplicate email, case-insensitively, on create and update", async () => {
    const email = uniqueEmail("dup");
    await createUser({ email });
    const again = await call("/v1/users", { method: "POST", body: { email: email.toUpperCase(), planTier: "free", role: "viewer" } });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: "email_taken", status: 409 });
    const other = await createUser();
    const clash = await call(`/v1/users/${other.id}`, { method: "PATCH", body: { email } });
    expect(clash.status).toBe(409);
    expect(clash.json.code).toBe("email_taken");
  });

  it("answers 404 not_found for a missing user, on read and update", async () => {
    const read = await call("/v1/users/999999999999");
    expect(read.status).toBe(404);
    expect(read.json).toMatchObject({ code: "not_found", status: 404 });
    const patch = await call("/v1/users/999999999999", { method: "PATCH", body: { role: "owner" } });
    expect(patch.status).toBe(404);
    const byEmail = await call(`/v1/users/by-email?email=${encodeURIComponent(uniqueEmail("none"))}`);
    expect(byEmail.status).toBe(404);
  });

  it("stores SQL-looking and unicode text intact", async () => {
    const tricky = [
      "Robert'); DROP TABLE users;--",
      "' OR 1=1 --",
      "$1 $$ \\x00 %s {{ }}",
      "名前 👩🏽‍💻 ﷽ Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
      "\u202Eright-to-left\u202C and \uFEFF bom",
    ];
    for (const displayName of tricky) {
      const email = `${uniqueEmail("q")}`.replace("@", "+'\"--@");
      const user = await createUser({ displayName, email });
      expect(user.displayName).toBe(displayName);
      const read = await call(`/v1/users/${user.id}`);
      expect(read.json).toMatchObject({ displayName, email });
    }
  });

  it("walks every user of a filter exactly once with the cursor", async () => {
    const role = "owner";
    const planTier = "team";
    const mine = new Set<string>();
    for (let i = 0; i < 7; i++) mine.add((await createUser({ role, planTier })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/users?planTier=${planTier}&role=${role}&limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await call(query);
      expect(res.status).toBe(200);
      for (const item of res.json.items!) {
        expect(item).toMatchObject({ planTier, role });
        seen.push(String(item.id));
      }
      cursor = res.json.nextCursor as string | null;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of mine) expect(seen).toContain(id);
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(seen);
  });
});
