/**
 * @module
 * Picking a backend by name, and finding which backend holds a running bottle.
 */

import { BackendError } from "../errors.ts";
import type { BackendName } from "../plan/types.ts";
import { DockerBackend } from "./docker.ts";
import { SmolvmBackend } from "./smolvm.ts";
import type { Backend } from "./types.ts";

/** The backend called `name`. */
export function backendFor(name: BackendName): Backend {
  return name === "docker" ? new DockerBackend() : new SmolvmBackend();
}

/** Every backend, for commands that act on existing bottles. */
export function allBackends(): Backend[] {
  return [new DockerBackend(), new SmolvmBackend()];
}

/** Fails with a clear fix when a backend cannot run here. */
export async function requireAvailable(backend: Backend): Promise<void> {
  const problem = await backend.unavailable();
  if (problem) {
    throw new BackendError(`The ${backend.name} backend cannot run here: ${problem}`, {
      hint: backend.name === "docker"
        ? "Start Docker (or Docker Desktop) and try again"
        : "Run `bot-bottle doctor` for details, or use --backend docker",
    });
  }
}
