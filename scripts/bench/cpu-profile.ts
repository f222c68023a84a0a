/**
 * CPU profile of a Worker under `wrangler dev` through its inspector port, which
 * speaks the DevTools protocol (Profiler.enable/start/stop). Busy time is every
 * sample that is not `(idle)`: the Worker's JavaScript, the runtime's native work on
 * its thread (`(program)`) and garbage collection.
 *
 * @example
 * const profile = await profileCpu(9743, async () => { await load(); });
 * profile.busyMs; profile.top; // where the time went, by function
 */
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuProfile {
  wallMs: number;
  busyMs: number;
  /** Self time by function, most first. */
  top: { name: string; selfMs: number; share: number }[];
}

async function debuggerUrl(port: number): Promise<string> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets.find((t) => t.webSocketDebuggerUrl !== undefined)?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`no DevTools target on inspector port ${port}`);
  return url;
}

function session(socket: WebSocket) {
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) pending?.reject(new Error(message.error.message));
    else pending?.resolve(message.result);
  });
  return <T>(method: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
}

function summarise(profile: Profile): CpuProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    const name = node === undefined ? "(unknown)" : frameName(node.callFrame);
    if (name === "(idle)") continue;
    busyUs += delta;
    self.set(name, (self.get(name) ?? 0) + delta);
  }
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs === 0 ? 0 : us / busyUs }));
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: busyUs / 1000, top };
}

function frameName({ functionName, url, lineNumber }: CallFrame): string {
  if (url === "") return functionName || "(anonymous)";
  const file = url.split("/").at(-1) ?? url;
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** Profiles the Worker behind `inspectorPort` while `during` runs. */
export async function profileCpu(inspectorPort: number, during: () => Promise<void>, samplingIntervalUs = 200): Promise<CpuProfile> {
  const socket = new WebSocket(await debuggerUrl(inspectorPort));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const send = session(socket);
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await send("Profiler.start");
    await during();
    const { profile } = await send<{ profile: Profile }>("Profiler.stop");
    return summarise(profile);
  } finally {
    socket.close();
  }
}
