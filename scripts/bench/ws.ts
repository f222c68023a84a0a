/**
 * `npm run bench -- ws [--clients 50] [--rate 200] [--seconds 5] [--burst 2000] [--priority-every 50] [--port 8787]
 *   [--disconnects 1000] [--recovery-clients 20] [--long-away 100] [--connections 5000]`  (0 skips a part)
 *
 * One room, N receivers and one publisher over loopback against the rooms' Durable
 * Objects in `wrangler dev` (reused if one answers on the port, else started and
 * stopped here). The same run
 * twice: batched (the room's defaults) and unbatched (room setting enabled=false: one
 * frame per message). Two phases each:
 * - fixed rate: `rate` msg/s for `seconds` (every `priority-every`-th a priority
 *   message): frames on the wire, publish-to-receive latency, lost messages, and the
 *   room's own queue-wait p99;
 * - saturation: `burst` messages as fast as the publisher's socket takes them,
 *   delivered messages per second until the last one arrives.
 * Then, on a `wrangler dev` of its own (port + 10, history of HISTORY_MESSAGES):
 * - recovery (ws-recovery.ts): `disconnects` abrupt drops of random length inside the
 *   history window among `recovery-clients` clients while a publisher sends `rate`
 *   msg/s; then `long-away` clients away longer than the window (all must be reset);
 * - scale (ws-scale.ts): `connections` idle connections in one room, one broadcast.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { localConfig } from "../lib/local-config.ts";
import { startWrangler, waitForHttp, type DevServer } from "../lib/dev-servers.ts";
import { LOCAL_ROOM_TOKEN_SECRET } from "../services/stack.ts";
import type { BenchReport } from "./report.ts";
import { closeAll, openPublisher, openReceivers, publishAtRate, publishBurst, quantile, settle, type Receiver } from "./ws-load.ts";
import { runLongAway, runRecovery, type ReconnectTiming } from "./ws-recovery.ts";
import { fileLimit, runScale, runtimeHost } from "./ws-scale.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The recovery run's history: 1000 messages is 5 s at 200 msg/s, so a 7 s absence is outside it. */
const HISTORY_MESSAGES = 1000;

interface Options {
  clients: number;
  rate: number;
  seconds: number;
  burst: number;
  priorityEvery: number;
  port: number;
  disconnects: number;
  recoveryClients: number;
  longAway: number;
  connections: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { clients: 50, rate: 200, seconds: 5, burst: 2000, priorityEvery: 50, port: localConfig().wrangler.port, disconnects: 1000, recoveryClients: 20, longAway: 100, connections: 5000 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]!.replace(/^--/, "").replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    const value = Number(args[i + 1]);
    if (!(key in options) || !Number.isFinite(value) || value < 0) throw new Error(`bad argument ${args[i]} ${args[i + 1] ?? ""}`);
    options[key] = value;
  }
  return options;
}

interface ModeResult {
  mode: string;
  sent: number;
  expected: number;
  received: number;
  frames: number;
  latencyP50: number;
  latencyP99: number;
  priorityP99: number;
  roomQueueWaitP99: number;
  roomDrops: number;
  maxWaitMs: number;
  saturationMsgsPerSec: number;
}

async function patchRoom(origin: string, secret: string, room: string, settings: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${origin}/parties/main/${room}`, { method: "PATCH", headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" }, body: JSON.stringify(settings) });
  if (!res.ok) throw new Error(`PATCH ${room}: ${res.status} ${await res.text()}`);
}

interface RoomMetricsBody {
  queueWaitMs: { p99: number };
  drops: number;
  settings: { maxWaitMs: number };
}

async function roomMetrics(origin: string, secret: string, room: string): Promise<RoomMetricsBody> {
  const res = await fetch(`${origin}/parties/main/${room}`, { headers: { authorization: `Bearer ${secret}` } });
  return (await res.json()) as RoomMetricsBody;
}

async function runMode(batched: boolean, o: Options, host: string, origin: string, secret: string): Promise<ModeResult> {
  const mode = batched ? "batched" : "unbatched";
  // The publisher is a client too: lift its inbound rate limit for the benchmark.
  const settings = { enabled: batched, inboundRatePerSecond: 1_000_000, inboundBurst: 1_000_000 };
  const room = `bench-ws-${mode}-${randomUUID().slice(0, 8)}`;
  await patchRoom(origin, secret, room, settings);
  let receivers: Receiver[] = await openReceivers(host, secret, room, o.clients);
  let publisher = await openPublisher(host, secret, room);
  await publishAtRate(publisher, o.rate, o.seconds, o.priorityEvery);
  await settle(receivers, publisher.sent);
  const metrics = await roomMetrics(origin, secret, room);
  const received = receivers.reduce((n, r) => n + r.messages, 0);
  const result: ModeResult = {
    mode,
    sent: publisher.sent,
    expected: publisher.sent * o.clients,
    received,
    frames: receivers.reduce((n, r) => n + r.frames, 0),
    latencyP50: quantile(receivers.flatMap((r) => r.latencies), 0.5),
    latencyP99: quantile(receivers.flatMap((r) => r.latencies), 0.99),
    priorityP99: quantile(receivers.flatMap((r) => r.priorityLatencies), 0.99),
    roomQueueWaitP99: metrics.queueWaitMs.p99,
    roomDrops: metrics.drops,
    maxWaitMs: metrics.settings.maxWaitMs,
    saturationMsgsPerSec: 0,
  };
  await closeAll([publisher.ws, ...receivers.map((r) => r.ws)]);

  const burstRoom = `bench-ws-${mode}-burst-${randomUUID().slice(0, 8)}`;
  await patchRoom(origin, secret, burstRoom, settings);
  receivers = await openReceivers(host, secret, burstRoom, o.clients);
  publisher = await openPublisher(host, secret, burstRoom);
  const started = performance.now();
  await publishBurst(publisher, o.burst);
  await settle(receivers, o.burst);
  const delivered = receivers.reduce((n, r) => n + r.messages, 0);
  const lastAt = Math.max(...receivers.map((r) => r.lastAt));
  result.saturationMsgsPerSec = delivered / ((lastAt - started) / 1000);
  await closeAll([publisher.ws, ...receivers.map((r) => r.ws)]);
  return result;
}

async function ensureWorker(port: number): Promise<DevServer | undefined> {
  const url = `http://127.0.0.1:${port}/parties/main/health`;
  try {
    if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return undefined;
  } catch {
    // nothing there: start one
  }
  const cfg = localConfig();
  const server = startWrangler({ ...cfg, wrangler: { ...cfg.wrangler, port } }, { quiet: true });
  await waitForHttp(url, { server, ok: (s) => s === 200, timeoutMs: 90_000 });
  return server;
}

/** A dev server of the recovery and scale parts' own: a short history, fresh state. */
async function startOwnWorker(port: number): Promise<{ server: DevServer; runtime: string; cleanup(): Promise<void> }> {
  const persist = mkdtempSync(join(tmpdir(), "netra-bench-ws-"));
  const cfg = localConfig();
  const server = startWrangler({ ...cfg, wrangler: { port, inspectorPort: cfg.wrangler.inspectorPort + 10 } }, {
    quiet: true,
    extraArgs: ["--persist-to", persist, "--var", `ROOM_HISTORY_MESSAGES:${HISTORY_MESSAGES}`],
  });
  const cleanup = async () => {
    await server.stop();
    rmSync(persist, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/parties/main/health`, { server, ok: (s) => s === 200, timeoutMs: 90_000 });
    // Found while the server is idle: its health route answers at once.
    return { server, runtime: await runtimeHost(server.child.pid!, port), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** p50/p90/p99/max of each reconnect phase (ws-recovery.ts ReconnectTiming). */
function phaseTable(timings: ReconnectTiming[]): Record<string, string | number>[] {
  const phases: [string, (t: ReconnectTiming) => number][] = [
    ["socket created -> 101 (open)", (t) => t.openMs],
    ["101 -> recovered", (t) => t.recoveredMs - t.openMs],
    ["socket created -> recovered", (t) => t.recoveredMs],
    ["messages replayed", (t) => t.replayed],
  ];
  return phases.map(([phase, of]) => {
    const values = timings.map(of);
    return { phase, p50: round1(quantile(values, 0.5)), p90: round1(quantile(values, 0.9)), p99: round1(quantile(values, 0.99)), max: round1(quantile(values, 1)) };
  });
}

const round1 = (n: number) => Math.round(n * 10) / 10;

async function recoveryAndScale(o: Options, secret: string): Promise<{ figures: Record<string, number>; targets: BenchReport["targets"]; tables: Record<string, Record<string, string | number>[]>; notes: string[] }> {
  const port = o.port + 10;
  const host = `127.0.0.1:${port}`;
  const origin = `http://${host}`;
  const own = await startOwnWorker(port);
  const figures: Record<string, number> = {};
  const targets: NonNullable<BenchReport["targets"]> = {};
  const notes: string[] = [];
  const tables: Record<string, Record<string, string | number>[]> = {};
  try {
    if (o.disconnects > 0) {
      const room = `bench-recovery-${randomUUID().slice(0, 8)}`;
      await patchRoom(origin, secret, room, { inboundRatePerSecond: 1_000_000, inboundBurst: 1_000_000 });
      const r = await runRecovery({ host, secret, room, rate: o.rate, clients: o.recoveryClients, disconnects: o.disconnects, awayMs: [20, 1500], upMs: [50, 400] });
      Object.assign(figures, {
        recovery_disconnects: r.disconnects,
        recovery_lost: r.lost,
        recovery_duplicated: r.duplicated,
        recovery_out_of_order: r.outOfOrder,
        recovery_seq_errors: r.seqErrors,
        recovery_unexpected_resets: r.resets,
        recovery_p50_ms: r.recoveryP50,
        recovery_p99_ms: r.recoveryP99,
        recovery_handshake_p99_ms: quantile(r.timings.map((t) => t.openMs), 0.99),
        recovery_publisher_closed_at: r.publisherClosedAt ?? -1,
        recovery_after_open_p99_ms: quantile(r.timings.map((t) => t.recoveredMs - t.openMs), 0.99),
      });
      tables.recovery_phases = phaseTable(r.timings);
      targets.recovery_lost = { target: "0", met: r.lost === 0 };
      targets.recovery_duplicated = { target: "0", met: r.duplicated === 0 };
      targets.recovery_out_of_order = { target: "0", met: r.outOfOrder === 0 && r.seqErrors === 0 };
      targets.recovery_p99_ms = { target: "<= 500", met: r.recoveryP99 <= 500 };
      notes.push(`recovery: ${o.recoveryClients} clients, ${r.disconnects} abrupt drops (away 20-1500 ms, up 50-400 ms) under ${o.rate} msg/s; history ${HISTORY_MESSAGES} messages; recovery_p99_ms is reconnect to caught up: the new socket's creation to the room's recovered marker (handshake included); recovery_publisher_closed_at: messages sent when the publisher's own socket closed mid-run (-1: it did not)`);
      // The same against the workerd that runs the rooms, without wrangler dev's proxy in the path.
      const direct = own.runtime;
      const directRoom = `bench-recovery-direct-${randomUUID().slice(0, 8)}`;
      await patchRoom(origin, secret, directRoom, { inboundRatePerSecond: 1_000_000, inboundBurst: 1_000_000 });
      const rd = await runRecovery({ host: direct, secret, room: directRoom, rate: o.rate, clients: o.recoveryClients, disconnects: o.disconnects, awayMs: [20, 1500], upMs: [50, 400] });
      Object.assign(figures, {
        recovery_direct_lost: rd.lost,
        recovery_direct_duplicated: rd.duplicated,
        recovery_direct_out_of_order: rd.outOfOrder + rd.seqErrors,
        recovery_direct_p50_ms: rd.recoveryP50,
        recovery_direct_p99_ms: rd.recoveryP99,
        recovery_direct_handshake_p99_ms: quantile(rd.timings.map((t) => t.openMs), 0.99),
        recovery_direct_publisher_closed_at: rd.publisherClosedAt ?? -1,
      });
      tables.recovery_phases_direct = phaseTable(rd.timings);
      notes.push(`recovery_direct_*: the same run connected to the rooms' workerd inside wrangler dev (${direct}), skipping the dev-only proxy`);
    }
    if (o.longAway > 0) {
      const room = `bench-long-${randomUUID().slice(0, 8)}`;
      await patchRoom(origin, secret, room, { inboundRatePerSecond: 1_000_000, inboundBurst: 1_000_000 });
      const awayMs = Math.ceil((HISTORY_MESSAGES / o.rate) * 1000) + 2000;
      const r = await runLongAway({ host, secret, room, rate: o.rate, count: o.longAway, awayMs });
      Object.assign(figures, { recovery_resets: r.resets, recovery_long_away: o.longAway, recovery_long_recovered: r.recoveries });
      targets.recovery_resets = { target: `= ${o.longAway}`, met: r.resets === o.longAway };
      notes.push(`long absences: ${o.longAway} clients away ${awayMs} ms (past the ${HISTORY_MESSAGES}-message history at ${o.rate} msg/s)`);
    }
    if (o.connections > 0) {
      const pid = own.server.child.pid!;
      const r = await runScale({ host, origin: `http://${own.runtime}`, secret, room: `bench-scale-${randomUUID().slice(0, 8)}`, connections: o.connections, serverPid: pid });
      Object.assign(figures, {
        room_connections: r.received === r.opened ? r.opened : r.received,
        room_connections_opened: r.opened,
        room_connections_greeted: r.greeted,
        room_server_fds_max: r.serverFdsMax,
        room_file_limit: fileLimit(),
        room_memory_per_connection_kib: r.memoryPerConnectionKiB,
        room_rss_before_mib: r.rssBeforeMiB,
        room_rss_after_mib: r.rssAfterMiB,
      });
      targets.room_connections = { target: ">= 5000, all receiving", met: r.opened >= 5000 && r.received === r.opened };
      notes.push(`room_connections: idle connections through wrangler dev's URL (its proxy) that all received one broadcast (posted to the runtime's address: the proxy has no descriptor left for it); memory is the whole wrangler dev process tree's RSS (proxy + workerd), before vs after, per connection; open-file limit ${fileLimit()}: the proxy holds about four descriptors per WebSocket`);
      // Let the room see the first run's sockets go before the second opens its own.
      await sleep(5000);
      const direct = own.runtime;
      const d = await runScale({ host: direct, origin: `http://${direct}`, secret, room: `bench-scale-direct-${randomUUID().slice(0, 8)}`, connections: o.connections, serverPid: pid });
      Object.assign(figures, {
        room_connections_direct: d.received === d.opened ? d.opened : d.received,
        room_connections_direct_opened: d.opened,
        room_connections_direct_greeted: d.greeted,
        room_server_fds_max_direct: d.serverFdsMax,
        room_memory_per_connection_direct_kib: d.memoryPerConnectionKiB,
      });
      targets.room_connections_direct = { target: ">= 5000, all receiving (the rooms' workerd, no dev proxy)", met: d.opened >= 5000 && d.received === d.opened };
      notes.push(`room_connections_direct: the same, connected to the workerd that runs the rooms inside wrangler dev (${direct}), skipping the dev-only proxy`);
    }
  } finally {
    await own.cleanup();
  }
  return { figures, targets, tables, notes };
}

export default async function run(args: string[]): Promise<BenchReport> {
  const o = parseArgs(args);
  const secret = process.env.ROOM_TOKEN_SECRET ?? LOCAL_ROOM_TOKEN_SECRET;
  const host = `127.0.0.1:${o.port}`;
  const origin = `http://${host}`;
  const server = await ensureWorker(o.port);
  try {
    const unbatched = await runMode(false, o, host, origin, secret);
    const batched = await runMode(true, o, host, origin, secret);
    await server?.stop();
    const more = await recoveryAndScale(o, secret);
    const lost = batched.expected - batched.received;
    const priorityDelta = batched.priorityP99 - unbatched.priorityP99;
    const { maxWaitMs } = batched;
    const figures = {
      send_reduction: 1 - batched.frames / unbatched.frames,
      throughput_ratio: batched.saturationMsgsPerSec / unbatched.saturationMsgsPerSec,
      added_latency_p99_ms: batched.roomQueueWaitP99,
      priority_latency_p99_ms: batched.priorityP99,
      priority_latency_p99_unbatched_ms: unbatched.priorityP99,
      lost_messages: lost,
      clients: o.clients,
      rate_msgs_per_s: o.rate,
      ...more.figures,
    };
    const row = (r: ModeResult) => ({
      mode: r.mode,
      sent: r.sent,
      deliveries_expected: r.expected,
      delivered: r.received,
      frames: r.frames,
      msgs_per_frame: r.received / Math.max(1, r.frames),
      latency_p50_ms: r.latencyP50,
      latency_p99_ms: r.latencyP99,
      priority_p99_ms: r.priorityP99,
      room_queue_wait_p99_ms: r.roomQueueWaitP99,
      room_drops: r.roomDrops,
      saturation_msgs_per_s: Math.round(r.saturationMsgsPerSec),
    });
    return {
      figures,
      targets: {
        send_reduction: { target: ">= 0.85", met: figures.send_reduction >= 0.85 },
        throughput_ratio: { target: ">= 5", met: figures.throughput_ratio >= 5 },
        added_latency_p99_ms: { target: `<= ${maxWaitMs} (maxWaitMs)`, met: figures.added_latency_p99_ms <= maxWaitMs },
        priority_latency_p99_ms: { target: "<= unbatched + 5", met: priorityDelta <= 5 },
        lost_messages: { target: "0", met: lost === 0 && batched.roomDrops === 0 },
        ...more.targets,
      },
      tables: { modes: [row(unbatched), row(batched)], ...more.tables },
      notes: [
        `wrangler dev (PartyServer rooms) on 127.0.0.1:${o.port}; ${o.clients} receivers + 1 publisher in this process; fixed rate ${o.rate} msg/s for ${o.seconds} s (every ${o.priorityEvery}th priority), then a burst of ${o.burst}`,
        "added_latency_p99_ms is the room's own queue-wait p99 (1 ms buckets); latencies are publish-to-receive in this process",
        ...more.notes,
      ],
    };
  } finally {
    await server?.stop();
  }
}
