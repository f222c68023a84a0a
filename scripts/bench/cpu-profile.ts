/**
 * CPU profile of a Worker under `wrangler dev` through its inspector port, which
 * speaks the DevTools protocol (Profiler.enable/start/stop). Busy time is every
 * sample that is not `(idle)`: the Worker's JavaScript, the runtime's native work on
 * its thread (`(program)`) and garbage collection.
 *
 * @example
 * const profile = await profileCpu(9743, async () => { await load(); }, (url) => url.endsWith("/index.js"));
 * profile.scriptMs; profile.busyMs; profile.top; // the Worker's own, the thread's, by function
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
  children?: number[];
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
  /**
   * Samples with a frame of the Worker's own script on the stack (its JavaScript and the native
   * calls it makes), without the rest of the isolate's thread: the dev runtime's entry worker
   * that wraps each request, (program), (garbage collector).
   */
  scriptMs: number;
  /** Busy time by script URL on the stack (a sample counts once per URL), most first. */
  byScript: { url: string; ms: number }[];
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

/** Each node's script URLs, its own and its ancestors' (a node's stack). */
function stackUrls(profile: Profile): Map<number, Set<string>> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, Set<string>>();
  const urlsOf = (id: number): Set<string> => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const urls = new Set(up === undefined ? [] : urlsOf(up));
    const url = byId.get(id)?.callFrame.url ?? "";
    if (url !== "") urls.add(url);
    memo.set(id, urls);
    return urls;
  };
  for (const node of profile.nodes) urlsOf(node.id);
  return memo;
}

function summarise(profile: Profile, isWorkerScript: (url: string) => boolean): CpuProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const urls = stackUrls(profile);
  const self = new Map<string, number>();
  const perScript = new Map<string, number>();
  let busyUs = 0;
  let scriptUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const delta = profile.timeDeltas[i] ?? 0;
    const name = node === undefined ? "(unknown)" : frameName(node.callFrame);
    if (name === "(idle)") continue;
    busyUs += delta;
    self.set(name, (self.get(name) ?? 0) + delta);
    const onStack = urls.get(profile.samples[i]!) ?? new Set<string>();
    for (const url of onStack) perScript.set(url, (perScript.get(url) ?? 0) + delta);
    if ([...onStack].some(isWorkerScript)) scriptUs += delta;
  }
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs === 0 ? 0 : us / busyUs }));
  const byScript = [...perScript.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([url, us]) => ({ url, ms: us / 1000 }));
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: busyUs / 1000, scriptMs: scriptUs / 1000, byScript, top };
}

function frameName({ functionName, url, lineNumber }: CallFrame): string {
  if (url === "") return functionName || "(anonymous)";
  const file = url.split("/").at(-1) ?? url;
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** Profiles the Worker behind `inspectorPort` while `during` runs. */
/** isWorkerScript: which script URLs are the Worker's own (its bundle), for `scriptMs`. */
export async function profileCpu(inspectorPort: number, during: () => Promise<void>, isWorkerScript: (url: string) => boolean, samplingIntervalUs = 200): Promise<CpuProfile> {
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
    return summarise(profile, isWorkerScript);
  } finally {
    socket.close();
  }
}
