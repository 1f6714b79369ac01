/**
 * @module
 * Picking a backend by name, and finding which backend holds a running bottle.
 */

import { BackendError, BotBottleError } from "../errors.ts";
import type { BackendName } from "../plan/types.ts";
import { DockerBackend } from "./docker.ts";
import type { Backend } from "./types.ts";

/** The backend called `name`. */
export function backendFor(name: BackendName): Backend {
  if (name === "docker") return new DockerBackend();
  throw new BotBottleError(`The "${name}" backend is not implemented in this version yet`, {
    hint: "Use --backend docker",
  });
}

/** Every backend, for commands that act on existing bottles. */
export function allBackends(): Backend[] {
  return [new DockerBackend()];
}

/** Fails with a clear fix when a backend cannot run here. */
export async function requireAvailable(backend: Backend): Promise<void> {
  const problem = await backend.unavailable();
  if (problem) {
    throw new BackendError(`The ${backend.name} backend cannot run here: ${problem}`, {
      hint: backend.name === "docker"
        ? "Start Docker (or Docker Desktop) and try again"
        : undefined,
    });
  }
}
