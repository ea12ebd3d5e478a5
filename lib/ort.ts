// onnxruntime-node is an optional peer dependency: only the scorer and `infogain score` need it,
// and kernel-only installs stay small without it (README, "Install"). This is the one place that
// loads it, so its absence is one typed error with the exact install command.
import { codes, plainError } from './errors';

/** The install command README documents. Both parts keep onnxruntime-node's postinstall from
 * downloading CUDA libraries (which fails offline; the scorer uses the CPU): the allowScripts entry
 * on npm versions that read it, also for the app's later installs, the variable on every npm. */
export const ortInstallCommand =
  'npm pkg set allowScripts.onnxruntime-node=false --json && ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@^1.30.0';

type Ort = typeof import('onnxruntime-node');

export function loadOrt(): Ort {
  try {
    return require('onnxruntime-node') as Ort;
  } catch (e) {
    const err = e as Error & { code?: string };
    const missing = err.code === 'MODULE_NOT_FOUND' && /['"]onnxruntime-node['"]/.test(err.message);
    const why = missing ? 'is not installed' : `could not be loaded (${err.message.split('\n')[0]})`;
    const error = plainError(
      codes.onnxruntime,
      `the scorer needs onnxruntime-node (an optional peer dependency), which ${why}; install it with:\n  ${ortInstallCommand}`,
    );
    error.cause = e;
    throw error;
  }
}
