import { describe, expect, it } from "vitest";
import { RoomTokenError, signRoomToken, timingSafeEqual, verifyRoomToken, type RoomTokenErrorCode } from "../../shared/rooms/token.ts";

const secret = "unit-test-room-secret-0123456789";
const now = Date.UTC(2026, 10, 29, 12, 0, 0);
const room = { party: "main", room: "agent-42" };

async function refusal(promise: Promise<unknown>): Promise<RoomTokenErrorCode> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RoomTokenError);
    return (error as RoomTokenError).code;
  }
  throw new Error("token was accepted");
}

describe("room tokens", () => {
  it("verifies a token for its room and returns its claims", async () => {
    const token = await signRoomToken(secret, { ...room, ttlSeconds: 300, now });
    expect(token).toMatch(/^rt1\.[\w-]+\.[\w-]+$/);
    const claims = await verifyRoomToken(secret, token, { ...room, now: now + 299_000 });
    expect(claims).toEqual({ ...room, exp: now / 1000 + 300 });
  });

  it("refuses an expired token", async () => {
    const token = await signRoomToken(secret, { ...room, ttlSeconds: 300, now });
    expect(await refusal(verifyRoomToken(secret, token, { ...room, now: now + 300_000 }))).toBe("token_expired");
  });

  it("refuses a token for another room or party", async () => {
    const token = await signRoomToken(secret, { ...room, ttlSeconds: 300, now });
    expect(await refusal(verifyRoomToken(secret, token, { party: "main", room: "agent-43", now }))).toBe("token_wrong_room");
    expect(await refusal(verifyRoomToken(secret, token, { party: "other", room: "agent-42", now }))).toBe("token_wrong_room");
  });

  it("binds to a connection id when one is named", async () => {
    const token = await signRoomToken(secret, { ...room, ttlSeconds: 300, connectionId: "conn-1", now });
    await expect(verifyRoomToken(secret, token, { ...room, connectionId: "conn-1", now })).resolves.toMatchObject({ connectionId: "conn-1" });
    expect(await refusal(verifyRoomToken(secret, token, { ...room, connectionId: "conn-2", now }))).toBe("token_wrong_connection");
    expect(await refusal(verifyRoomToken(secret, token, { ...room, now }))).toBe("token_wrong_connection");
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signRoomToken("another-secret-entirely-1234567", { ...room, ttlSeconds: 300, now });
    expect(await refusal(verifyRoomToken(secret, token, { ...room, now }))).toBe("token_bad_signature");
  });

  it("refuses a token whose payload was edited (room swapped, signature kept)", async () => {
    const token = await signRoomToken(secret, { ...room, ttlSeconds: 300, now });
    const [prefix, , signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ p: "main", r: "agent-43", exp: now / 1000 + 300 })).toString("base64url");
    expect(await refusal(verifyRoomToken(secret, `${prefix}.${forged}.${signature}`, { party: "main", room: "agent-43", now }))).toBe("token_bad_signature");
  });

  it.each([
    [undefined, "token_missing"],
    ["", "token_missing"],
    ["garbage", "token_malformed"],
    ["rt1.a.b.c", "token_malformed"],
    ["xx1.abc.def", "token_malformed"],
    ["rt1.abc.!!!", "token_malformed"],
    // The signature is checked before the payload is even decoded.
    ["rt1.!!!.abc", "token_bad_signature"],
  ] as const)("refuses %s as %s", async (token, code) => {
    expect(await refusal(verifyRoomToken(secret, token, { ...room, now }))).toBe(code);
  });
});

describe("timingSafeEqual", () => {
  it("compares contents and lengths", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
  });
});
