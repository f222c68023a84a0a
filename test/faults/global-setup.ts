/**
 * Starts the private faults stack (its own ports and state dir, never the shared
 * stack on the default ports) and stops it afterwards, even when a test failed.
 */
import type { TestProject } from "vitest/node";
import { startFaultStack, stopFaultStack, type FaultStackInfo } from "../../scripts/lib/fault-stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    faultStack: FaultStackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const info = await startFaultStack(undefined, (line) => console.log(line));
    project.provide("faultStack", info);
  } catch (error) {
    await stopFaultStack();
    throw error;
  }
  return () => stopFaultStack();
}
