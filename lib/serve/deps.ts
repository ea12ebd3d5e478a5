// fastify and prom-client are optional peer dependencies, like onnxruntime-node (lib/ort.ts): only
// `infogain serve` needs them, so a kernel-only install stays small. This is the one place that
// loads them, so their absence is one typed error with the exact install command.
import { plainError } from '../errors';

/** The install command README documents. */
export const serveInstallCommand = 'npm install fastify@^5 prom-client@^15';

export type Fastify = typeof import('fastify');
export type PromClient = typeof import('prom-client');

function load<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (e) {
    const err = e as Error & { code?: string };
    const missing = err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${name}'`);
    const why = missing ? 'is not installed' : `could not be loaded (${err.message.split('\n')[0]})`;
    const error = plainError(
      'ERR_INFOGAIN_SERVE_DEPENDENCY',
      `infogain serve needs ${name} (an optional peer dependency), which ${why}; install fastify and prom-client with:\n  ${serveInstallCommand}`,
    );
    error.cause = e;
    throw error;
  }
}

/** fastify and prom-client, or ERR_INFOGAIN_SERVE_DEPENDENCY naming the install command. */
export function loadServeDependencies(): { fastify: Fastify; prom: PromClient } {
  return { fastify: load<Fastify>('fastify'), prom: load<PromClient>('prom-client') };
}
