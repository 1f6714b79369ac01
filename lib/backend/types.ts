/**
 * @module
 * The one backend interface. Docker and smolvm differ only in transport: how the
 * bundle and guest come up, how a file gets into the guest, how a command runs there,
 * and how everything is found and removed again by label. Provisioning is written once
 * against `Guest`.
 */

import type { BundleConfig } from "../../sidecars/bundle/config.ts";
import type { BackendName, BottlePlan } from "../plan/types.ts";

/** Who runs a command in the guest. */
export type GuestUser = "root" | "agent";

/** Options of a captured guest command. */
export interface GuestExecOptions {
  user?: GuestUser;
  workdir?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array;
  timeout?: string;
}

/** Result of a captured guest command. */
export interface GuestResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The tiny interface provisioning is written against. */
export interface Guest {
  /** Copies a host file to `guestPath`, owned by `user` with `mode`. */
  putFile(
    hostPath: string,
    guestPath: string,
    owner: { user: GuestUser; mode: number },
  ): Promise<void>;
  /** Copies a guest file out to `hostPath` (the host's user owns the copy). */
  getFile(guestPath: string, hostPath: string): Promise<void>;
  /** Runs `argv` and captures its output; never throws on a non-zero exit. */
  exec(argv: string[], options?: GuestExecOptions): Promise<GuestResult>;
}

/** The bundle as home-coming needs it; it may have stopped (its files stay readable). */
export interface BundleAccess {
  running(): Promise<boolean>;
  /** Runs a command in the running bundle as its user. */
  exec(argv: string[]): Promise<GuestResult>;
  /** `exec` with the command's stdout written to `hostPath` (mode 600) as it comes. */
  execToFile(argv: string[], hostPath: string): Promise<GuestResult>;
  /** Copies a file or directory out of the bundle, running or stopped. */
  copyOut(path: string, hostPath: string): Promise<void>;
}

/** What bringing a bottle's work home can reach. */
export interface HomeAccess {
  /** The agent guest, when it runs (or could be started again). */
  guest?: Guest;
  bundle: BundleAccess;
  /**
   * When the guest cannot run: saves its workspace directory, unscanned, as a tar
   * archive at `hostFile`, so that nothing is lost.
   */
  salvage?(guestPath: string, hostFile: string): Promise<void>;
}

/** A bottle whose bundle answers and whose guest is up. */
export interface LaunchedBottle {
  guest: Guest;
  /**
   * Whether the guest's own egress policy (not the host) refused a connection to
   * `address`; set by backends whose guest has such a policy, for the self-test.
   */
  deniedByPolicy?(address: string): Promise<boolean>;
}

/** How `run` attaches the terminal. */
export interface AttachOptions {
  tty: boolean;
  interactive: boolean;
  workdir?: string;
  env?: Record<string, string>;
}

/** A bottle as `ls` shows it. */
export interface BottleSummary {
  name: string;
  agent: string;
  backend: BackendName;
  status: string;
  created: string;
  mode: string;
}

/** What a launch needs besides the plan, made while its networks are created. */
export interface LaunchSetup {
  config: BundleConfig;
  /** A tar archive unpacked into the bundle's state directory before it starts. */
  bundleSeed?: string;
}

/** How a backend launches a bottle. */
export interface LaunchOptions {
  mode: "start" | "up";
  stack: AsyncDisposableStack;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  /**
   * Work on the guest that needs no bundle (provisioning its files), run as soon as
   * the guest runs, while the bundle may still be starting; launch resolves after it.
   */
  onGuest?: (guest: Guest) => Promise<void>;
}

/** A transport for bottles. */
export interface Backend {
  readonly name: BackendName;
  /** Why this backend cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /**
   * Brings up networks, bundle and guest for `plan`: the networks at once, the rest once
   * `setup` (images built, the bundle's config) is ready; a failed `setup` fails the launch
   * with its error. Everything created is removed by `stack` when it is disposed; `signal`
   * aborts the launch.
   */
  launch(
    plan: BottlePlan,
    setup: Promise<LaunchSetup>,
    options: LaunchOptions,
  ): Promise<LaunchedBottle>;
  /**
   * What bringing `instance`'s work home needs: its agent guest while it runs, and its
   * bundle (running or stopped).
   */
  homeAccess(instance: string): Promise<HomeAccess>;
  /** Runs `argv` as the agent user in bottle `instance` with stdio attached. */
  attach(
    instance: string,
    argv: string[],
    options: AttachOptions,
    signal?: AbortSignal,
  ): Promise<number>;
  /** Whether the bundle of `instance` is running (it is the agent's only way out). */
  bundleRunning(instance: string): Promise<boolean>;
  /** Removes everything labelled with `instance`; idempotent. */
  remove(instance: string, options?: RemoveOptions): Promise<void>;
  /** Bottles this backend knows of. */
  list(): Promise<BottleSummary[]>;
  /** Names of bottles a crashed run left behind (judged by heartbeats in `env`'s state dir). */
  leftovers(env: Record<string, string | undefined>): Promise<string[]>;
  /**
   * Calls the supervise control API inside bottle `instance`'s bundle (`list`, or
   * `answer ID DECISION COMMENT`); returns its JSON text, or undefined when the bottle
   * runs no supervise server.
   */
  superviseCall(instance: string, args: string[]): Promise<string | undefined>;
  /** The audit log (JSONL) of a running bottle, written to `sink` as it arrives. */
  auditLog(
    instance: string,
    follow: boolean,
    sink: (chunk: Uint8Array) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void>;
}

/** How a bottle is removed. */
export interface RemoveOptions {
  /** Where the bundle's audit log is saved first (`lib/logs.ts`); not saved when absent. */
  archiveDir?: string;
}
