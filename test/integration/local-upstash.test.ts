/**
 * The local Upstash REST endpoint, driven by the unmodified @upstash/redis
 * client against the real Redis at REDIS_URL.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localUrls } from "../../scripts/lib/local-config.ts";
import { startUpstashEndpoint, type UpstashEndpoint } from "../../scripts/local/upstash/server.ts";

const REDIS_URL = process.env.REDIS_URL ?? localUrls().REDIS_URL;
const TOKEN = `test-token-${randomUUID()}`;
const PREFIX = `test:local-upstash:${randomUUID()}:`;

let endpoint: UpstashEndpoint;
let redis: Redis;

function key(name: string): string {
  return `${PREFIX}${name}`;
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** A raw request, for what the client never sends. */
async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${endpoint.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  endpoint = await startUpstashEndpoint({ port: 0, redisUrl: REDIS_URL, token: TOKEN });
  redis = new Redis({ url: endpoint.url, token: TOKEN });
});

afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await endpoint?.close();
});

describe("local Upstash endpoint with @upstash/redis", () => {
  it("round-trips strings, numbers, JSON objects and unicode through set/get", async () => {
    const tricky = 'héllo 🌍 "quoted" \\ back\nslash\ttab \u0000 nul';
    await redis.set(key("str"), "plain");
    await redis.set(key("num"), 42);
    await redis.set(key("obj"), { name: "ada", tags: ["x", "y"], nested: { ok: true } });
    await redis.set(key("uni"), tricky);

    expect(await redis.get(key("str"))).toBe("plain");
    expect(await redis.get(key("num"))).toBe(42);
    expect(await redis.get(key("obj"))).toEqual({ name: "ada", tags: ["x", "y"], nested: { ok: true } });
    expect(await redis.get(key("uni"))).toBe(tricky);
    expect(await redis.get(key("missing"))).toBeNull();
  });

  it("increments counters and reports expiry with expire/ttl and set px", async () => {
    expect(await redis.incr(key("counter"))).toBe(1);
    expect(await redis.incrby(key("counter"), 9)).toBe(10);

    expect(await redis.ttl(key("counter"))).toBe(-1);
    expect(await redis.expire(key("counter"), 100)).toBe(1);
    const ttl = await redis.ttl(key("counter"));
    expect(ttl).toBeGreaterThan(90);
    expect(ttl).toBeLessThanOrEqual(100);

    expect(await redis.set(key("px"), "short", { px: 5_000 })).toBe("OK");
    const pttl = await redis.pttl(key("px"));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
  });

  it("honours set nx: the second writer gets null and the first value stays", async () => {
    expect(await redis.set(key("nx"), "first", { nx: true })).toBe("OK");
    expect(await redis.set(key("nx"), "second", { nx: true })).toBeNull();
    expect(await redis.get(key("nx"))).toBe("first");
  });

  it("reads several keys with mget, including a stored literal OK", async () => {
    await redis.set(key("m1"), "one");
    await redis.set(key("m2"), "OK");
    expect(await redis.mget(key("m1"), key("m2"), key("nope"))).toEqual(["one", "OK", null]);
  });

  it("serves hashes, lists and sorted sets", async () => {
    expect(await redis.hset(key("hash"), { a: "1", b: "two", c: "x\ny" })).toBe(3);
    expect(await redis.hgetall(key("hash"))).toEqual({ a: 1, b: "two", c: "x\ny" });

    expect(await redis.lpush(key("list"), "a", "b", "c")).toBe(3);
    expect(await redis.lrange(key("list"), 0, -1)).toEqual(["c", "b", "a"]);

    expect(await redis.zadd(key("zset"), { score: 2, member: "two" }, { score: 1, member: "one" })).toBe(2);
    expect(await redis.zrange(key("zset"), 0, -1)).toEqual(["one", "two"]);
    expect(await redis.zrange(key("zset"), 0, -1, { withScores: true })).toEqual(["one", 1, "two", 2]);
    expect(await redis.zscore(key("zset"), "two")).toBe(2);
  });

  it("scans keys by pattern until the cursor returns to 0", async () => {
    const names = ["scan:a", "scan:b", "scan:c"].map(key);
    await Promise.all(names.map((name) => redis.set(name, "v")));
    const found: string[] = [];
    let cursor: string | number = 0;
    do {
      const [next, keys]: [string | number, string[]] = await redis.scan(cursor, { match: `${PREFIX}scan:*`, count: 100 });
      found.push(...keys);
      cursor = next;
    } while (String(cursor) !== "0");
    expect(found.sort()).toEqual(names.sort());
  });

  it("batches concurrent calls into /pipeline requests with auto-pipelining", async () => {
    const counter = redis as unknown as { pipelineCounter: number };
    const before = counter.pipelineCounter;
    const results = await Promise.all([
      redis.set(key("ap:1"), "a"),
      redis.set(key("ap:2"), "b"),
      redis.incr(key("ap:n")),
      redis.get(key("ap:1")),
      redis.get(key("ap:2")),
      redis.exists(key("ap:1"), key("ap:2"), key("ap:none")),
    ]);
    expect(results).toEqual(["OK", "OK", 1, "a", "b", 2]);
    const requests = counter.pipelineCounter - before;
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(requests).toBeLessThanOrEqual(2);
  });

  it("runs an explicit pipeline with one result per command, in order", async () => {
    const results = await redis
      .pipeline()
      .set(key("pl"), "v1")
      .get(key("pl"))
      .incr(key("pl:n"))
      .incr(key("pl:n"))
      .del(key("pl"))
      .exec();
    expect(results).toEqual(["OK", "v1", 1, 2, 1]);
  });

  it("keeps a pipeline's other commands when one fails", async () => {
    await redis.set(key("pl:str"), "text");
    const results = await redis
      .pipeline()
      .incr(key("pl:str"))
      .set(key("pl:after"), "written")
      .exec({ keepErrors: true });
    expect(results[0]?.error).toMatch(/ERR value is not an integer/);
    expect(results[1]).toEqual({ error: undefined, result: "OK" });
    expect(await redis.get(key("pl:after"))).toBe("written");
  });

  it("applies a multi() transaction around a WRONGTYPE failure in its own slot", async () => {
    const results = await redis
      .multi()
      .set(key("tx"), "1")
      .lpush(key("tx"), "x")
      .incr(key("tx"))
      .get(key("tx"))
      .exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(["OK", undefined, 2, 2]);
    expect(results[1]?.error).toMatch(/^WRONGTYPE/);
    expect(await redis.get(key("tx"))).toBe(2);

    await expect(redis.multi().set(key("tx2"), "1").lpush(key("tx2"), "x").exec()).rejects.toThrow(
      /Command 2 \[ lpush \] failed: WRONGTYPE/,
    );
  });

  it("discards a transaction whose command cannot be queued, applying nothing", async () => {
    const { status, json } = await post("/multi-exec", JSON.stringify([["set", key("discarded"), "1"], ["get"]]));
    expect(status).toBe(400);
    expect((json as { error: string }).error).toMatch(/^EXECABORT .*wrong number of arguments/);
    expect(await redis.exists(key("discarded"))).toBe(0);
  });

  it("runs scripts with scriptLoad + evalsha and createScript", async () => {
    const source = `-- ${PREFIX}load\nreturn {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, 'OK'}`;
    const sha = await redis.scriptLoad(source);
    expect(sha).toBe(sha1(source));
    expect(await redis.evalsha(sha, [key("s")], ["arg", "41"])).toEqual([key("s"), "arg", 42, "OK"]);

    const script = redis.createScript<string>(`-- ${PREFIX}create\nreturn ARGV[1] .. '!'`);
    expect(await script.exec([], ["hé"])).toBe("hé!");
    expect(await script.eval([], ["plain"])).toBe("plain!");
  });

  it("passes NOSCRIPT through so createScript falls back to eval", async () => {
    const source = `-- ${PREFIX}fallback\nreturn redis.call('INCR', KEYS[1])`;
    expect(await redis.scriptExists(sha1(source))).toEqual([0]);
    await expect(redis.evalsha(sha1(source), [key("fb")], [])).rejects.toThrow(/NOSCRIPT/);

    const script = redis.createScript<number>(source);
    expect(await script.exec([key("fb")], [])).toBe(1);
    // EVAL caches the script, so the next exec goes through evalsha.
    expect(await redis.scriptExists(sha1(source))).toEqual([1]);
    expect(await script.exec([key("fb")], [])).toBe(2);
  });

  it("answers plain strings when the client turns base64 off", async () => {
    const plain = new Redis({ url: endpoint.url, token: TOKEN, responseEncoding: false });
    const value = 'ünïcødé "q" \n 🚀';
    expect(await plain.set(key("plain"), value)).toBe("OK");
    expect(await plain.get(key("plain"))).toBe(value);
    expect(await plain.mget(key("plain"), key("none"))).toEqual([value, null]);
  });

  it("encodes every string as base64 on the wire only when asked, keeping a top-level OK and integers", async () => {
    await redis.set(key("wire"), "héllo");
    const base64 = { "upstash-encoding": "base64" };
    expect(await post("/", JSON.stringify(["get", key("wire")]), base64)).toEqual({
      status: 200,
      json: { result: Buffer.from("héllo").toString("base64") },
    });
    expect(await post("/", JSON.stringify(["set", key("wire"), "héllo"]), base64)).toEqual({
      status: 200,
      json: { result: "OK" },
    });
    expect(await post("/pipeline", JSON.stringify([["mget", key("wire"), key("none")], ["strlen", key("wire")]]), base64)).toEqual({
      status: 200,
      json: [{ result: [Buffer.from("héllo").toString("base64"), null] }, { result: 6 }],
    });
    expect(await post("/", JSON.stringify(["get", key("wire")]))).toEqual({ status: 200, json: { result: "héllo" } });
  });

  it("keeps integers beyond 2^53 exact on the wire", async () => {
    const res = await fetch(endpoint.url, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(["incrby", key("big"), "9007199254740993"]),
    });
    expect(await res.text()).toBe('{"result":9007199254740993}');
  });

  it("accepts an upstash-sync-token header", async () => {
    expect(await post("/", JSON.stringify(["ping"]), { "upstash-sync-token": "abc" })).toEqual({
      status: 200,
      json: { result: "PONG" },
    });
  });

  it("serves commands spelled as a path, with the token as a query parameter too", async () => {
    await redis.set(key("path/with slash"), "v");
    const encoded = encodeURIComponent(key("path/with slash"));
    const res = await fetch(`${endpoint.url}/get/${encoded}?_token=${encodeURIComponent(TOKEN)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: "v" });

    const body = 'raw "body"\nwith bytes ✓';
    const set = await fetch(`${endpoint.url}/set/${encodeURIComponent(key("path-body"))}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
    expect(await set.json()).toEqual({ result: "OK" });
    expect(await redis.get(key("path-body"))).toBe(body);
  });

  it("rejects a bad or missing token with 401, and the client throws", async () => {
    const intruder = new Redis({ url: endpoint.url, token: "wrong-token" });
    await expect(intruder.get(key("str"))).rejects.toThrow(/Unauthorized/);

    const res = await fetch(endpoint.url, { method: "POST", body: JSON.stringify(["ping"]) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Unauthorized" });
  });

  it("turns a command error into a thrown error carrying the Redis text", async () => {
    await redis.set(key("notint"), "abc");
    await expect(redis.incr(key("notint"))).rejects.toThrow(/ERR value is not an integer or out of range/);
    await expect(redis.exec(["incr", key("notint")])).rejects.toThrow(/ERR value is not an integer or out of range/);

    expect(await post("/", JSON.stringify(["incr", key("notint")]))).toEqual({
      status: 400,
      json: { error: "ERR value is not an integer or out of range" },
    });
  });

  it("answers malformed bodies with 400 JSON errors", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["/", "{not json", /not valid JSON/],
      ["/", "", /body is empty/],
      ["/", '{"cmd":"get"}', /must be a JSON array/],
      ["/", "[]", /empty command/],
      ["/", '["set",{"nested":true},"v"]', /must be a string, number or boolean/],
      ["/", '["get",null]', /must be a string, number or boolean, got null/],
      ["/pipeline", '["get","k"]', /must be a JSON array/],
      ["/pipeline", "[]", /no commands/],
      ["/pipeline", '[["ping"],[]]', /command 2 is an empty command/],
      ["/multi-exec", '"text"', /must be a JSON array of commands/],
    ];
    for (const [path, body, message] of cases) {
      const { status, json } = await post(path, body);
      expect({ path, body, status }).toEqual({ path, body, status: 400 });
      expect((json as { error: string }).error).toMatch(message);
    }
    const get = await fetch(`${endpoint.url}/pipeline`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
  });

  it("refuses commands that would change the shared connection", async () => {
    for (const command of [["multi"], ["select", "1"], ["subscribe", "ch"], ["client", "reply", "off"]]) {
      const { status, json } = await post("/", JSON.stringify(command));
      expect(status).toBe(400);
      expect((json as { error: string }).error).toMatch(/not supported by the REST endpoint/);
    }
    expect(await redis.ping()).toBe("PONG");
  });

  it("runs a blocking command on its own connection without stalling other requests", async () => {
    const started = Date.now();
    const blocked = redis.exec(["blpop", key("queue"), "1"]);
    expect(await redis.get(key("str"))).toBe("plain");
    expect(Date.now() - started).toBeLessThan(500);
    expect(await blocked).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const waiting = redis.exec(["blpop", key("queue"), "5"]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.rpush(key("queue"), "job");
    expect(await waiting).toEqual([key("queue"), "job"]);
  });
});

/** A TCP relay to Redis that the test can cut and restore, to stage an outage. */
class OutageProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("local Upstash endpoint lifecycle", () => {
  it("fails to start when Redis cannot be reached", async () => {
    const closed = new OutageProxy(new URL(REDIS_URL));
    await closed.up();
    const port = closed.port;
    await closed.down();
    await expect(
      startUpstashEndpoint({ port: 0, redisUrl: `redis://127.0.0.1:${port}`, token: TOKEN }),
    ).rejects.toThrow(/cannot connect to Redis/);
  });

  it("answers 503 quickly while Redis is away and recovers when it is back", async () => {
    const proxy = new OutageProxy(new URL(REDIS_URL));
    await proxy.up();
    const events: string[] = [];
    const flaky = await startUpstashEndpoint({
      port: 0,
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      token: TOKEN,
      log: (line) => events.push(line),
    });
    const client = new Redis({ url: flaky.url, token: TOKEN });
    try {
      expect(await client.set(key("outage"), "before")).toBe("OK");

      await proxy.down();
      const started = Date.now();
      const res = await fetch(flaky.url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(["get", key("outage")]),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/^ERR redis is unavailable/) });
      expect(Date.now() - started).toBeLessThan(1_000);
      await expect(client.get(key("outage"))).rejects.toThrow(/redis is unavailable/);

      await proxy.up();
      const deadline = Date.now() + 5_000;
      let value: unknown;
      while (Date.now() < deadline) {
        value = await client.get(key("outage")).catch(() => undefined);
        if (value !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(value).toBe("before");
      expect(events.some((line) => line.startsWith("redis connection lost"))).toBe(true);
      expect(events).toContain("redis connection restored");
    } finally {
      await flaky.close();
      await proxy.down();
    }
  });

  it("refuses a request body over the configured limit with 413", async () => {
    const small = await startUpstashEndpoint({ port: 0, redisUrl: REDIS_URL, token: TOKEN, maxBodyBytes: 1_024 });
    try {
      const res = await fetch(small.url, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(["set", key("huge"), "x".repeat(4_096)]),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({ error: "ERR request body exceeds 1024 bytes" });
    } finally {
      await small.close();
    }
  });

  it("closes with a blocking command in flight without waiting for it", async () => {
    const own = await startUpstashEndpoint({ port: 0, redisUrl: REDIS_URL, token: TOKEN });
    const client = new Redis({ url: own.url, token: TOKEN, retry: false });
    const blocked = client.exec(["blpop", key("never"), "30"]).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await blocked).toEqual(expect.objectContaining({ message: expect.stringMatching(/the endpoint is shutting down/) }));
  });
});
