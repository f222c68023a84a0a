import { describe, expect, it } from "vitest";
import { fingerprintOf } from "../../shared/db/fingerprint.ts";
import { encodeParams, paramShape } from "../../shared/db/query-params.ts";

const fp = (sql: string) => fingerprintOf(sql).fingerprint;

describe("fingerprintOf", () => {
  it("gives the same fingerprint to the same shape written differently", () => {
    const a = fp("select * from users where id = $1");
    expect(fp("SELECT *\n  FROM   users WHERE id=$1")).toBe(a);
    expect(fp("select * from users -- by id\nwhere id = $1")).toBe(a);
    expect(fp("select * /* note /* nested */ */ from users where id = $1")).toBe(a);
  });

  it("normalises literals and parameters alike", () => {
    const a = fp("select * from users where id = $1");
    expect(fp("select * from users where id = 42")).toBe(a);
    expect(fp("select * from users where id = 4.2e1")).toBe(a);
    expect(fp("select * from users where id = 'x'")).toBe(a);
    expect(fp("select * from users where id = 'it''s'")).toBe(a);
    expect(fp("select * from users where id = E'a\\'b'")).toBe(a);
    expect(fp("select * from users where id = $tag$ dollar ' quoted $tag$")).toBe(a);
    expect(fp("select * from users where id = $$x$$")).toBe(a);
  });

  it("collapses IN lists of any length", () => {
    expect(fp("select * from users where id in (1, 2, 3)")).toBe(fp("select * from users where id in ($1)"));
  });

  it("tells different structure apart", () => {
    const a = fp("select * from users where id = $1");
    expect(fp("select * from users where email = $1")).not.toBe(a);
    expect(fp("select id from users where id = $1")).not.toBe(a);
    expect(fp("select * from audit_logs where id = $1")).not.toBe(a);
    expect(fp("select * from users where id = $1 limit 1")).not.toBe(a);
    expect(fp('select * from "Users" where id = $1')).not.toBe(a);
  });

  it("keeps quoted identifiers as written and lower-cases the rest", () => {
    expect(fingerprintOf('SELECT "Name" FROM Users WHERE x = 1').statement).toBe('select "Name" from users where x = ?');
  });

  it("never keeps a value in the normalised statement", () => {
    const { statement } = fingerprintOf("select * from users where email = 'secret@example.com' and id = 12345");
    expect(statement).not.toContain("secret");
    expect(statement).not.toContain("12345");
    expect(statement).toBe("select * from users where email = ? and id = ?");
  });

  it("is a stable 12-hex-digit hash", () => {
    expect(fp("select 1")).toMatch(/^[0-9a-f]{12}$/);
    expect(fp("select 1")).toBe(fp("select 1"));
  });
});

describe("encodeParams", () => {
  it("differs when Postgres would see different values", () => {
    expect(encodeParams([1])).not.toBe(encodeParams([2]));
    expect(encodeParams([null])).not.toBe(encodeParams(["null"]));
    expect(encodeParams(["a,b"])).not.toBe(encodeParams(["a", "b"]));
    expect(encodeParams([Number.NaN])).not.toBe(encodeParams([null]));
    expect(encodeParams([10n])).not.toBe(encodeParams([11n]));
    expect(encodeParams([[1n, 2n]])).not.toBe(encodeParams([[1n, 3n]]));
    expect(encodeParams([new Date(0)])).not.toBe(encodeParams([new Date(1)]));
  });

  it("never gives a BigInt or a non-finite number the key of a string (they reach Postgres as different values)", () => {
    // 5n reaches Postgres as 5, the string "5n" as 5n: one key would serve one's rows for the other.
    expect(encodeParams([5n])).not.toBe(encodeParams(["5n"]));
    expect(encodeParams([[5n]])).not.toBe(encodeParams([["5n"]]));
    expect(encodeParams([{ a: 5n }])).not.toBe(encodeParams([{ a: "5n" }]));
    expect(encodeParams([Number.POSITIVE_INFINITY])).not.toBe(encodeParams(["Infinityf"]));
    expect(encodeParams([Number.NaN])).not.toBe(encodeParams(["NaNf"]));
    expect(encodeParams([[Number.NaN, 1]])).not.toBe(encodeParams([[null, 1]]));
    // Whatever the tagged encoding writes, no plain string list encodes the same.
    for (const params of [[5n], [5n, "x"], [Number.NaN], [[1n]]] as unknown[][]) {
      const key = encodeParams(params);
      expect(encodeParams([key])).not.toBe(key);
      expect(encodeParams(JSON.parse(key.replace(/^[^[]*/, "")) as unknown[])).not.toBe(key);
    }
    // The same values keep one key.
    expect(encodeParams([5n, "a", new Date(0)])).toBe(encodeParams([5n, "a", new Date(0)]));
  });

  it("is empty for no parameters", () => {
    expect(encodeParams([])).toBe("");
  });
});

describe("paramShape", () => {
  it("names types, never values", () => {
    const shape = paramShape([1, 1.5, "secret", null, undefined, true, 9n, new Date(), new Uint8Array(2), [1, 2], ["a", null], { a: 1 }]);
    expect(shape).toEqual(["int", "float", "text", "null", "null", "bool", "bigint", "timestamp", "bytea", "int[]", "text[]", "json"]);
    expect(JSON.stringify(shape)).not.toContain("secret");
  });
});
