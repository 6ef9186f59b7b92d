// `wgh info`: the adapter, backend, features, limits and the fallback paths chosen.
// The backend is the one Dawn reports for the opened adapter (Gpu.queryBackend); when Dawn does not
// say, the line says whether it is the requested backend or the platform default.
import type { Command } from 'commander';
import { Gpu, type GpuAdapterSummary } from '../gpu/device.js';
import { addGpuOptions, gpuOptionsFrom, type GpuFlags } from './options.js';

const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'minStorageBufferOffsetAlignment',
];

export function registerInfoCommand(program: Command): void {
  addGpuOptions(program.command('info').description('print the GPU adapter, backend, features and limits'))
    .option('--json', 'print one JSON object')
    .action(async (flags: GpuFlags & { json?: boolean }) => {
      const gpu = await Gpu.open(gpuOptionsFrom(flags));
      try {
        await gpu.queryBackend();
        const d = gpu.describe();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
          return;
        }
        const a = d.adapter;
        const lines = [
          `adapter:   ${a.description || a.device} (${a.vendor}${a.architecture ? `, ${a.architecture}` : ''})${a.isFallbackAdapter ? ' [software fallback]' : ''}`,
          `backend:   ${backendLine(a)}`,
          `features:  ${d.features.join(', ')}`,
          `subgroups: ${d.caps.subgroups ? `yes (size ${d.caps.subgroupMinSize}..${d.caps.subgroupMaxSize})` : 'no (kernels use workgroup-memory reductions)'}`,
          `shader-f16: ${d.caps.shaderF16 ? 'yes' : 'no (kernels use f32 only)'}`,
          `timestamps: ${d.caps.timestampQuery ? 'yes (GPU kernel timings)' : 'no (profiles fall back to wall clock)'}`,
          `toggles:   ${d.toggles.join(', ') || '(none)'}`,
          'limits:',
          ...SHOWN_LIMITS.filter((k) => k in d.limits).map((k) => `  ${k.padEnd(36)} ${d.limits[k]}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        gpu.destroy();
      }
    });
}

function backendLine(a: GpuAdapterSummary): string {
  if (a.backendSource === 'dawn') return a.backend;
  const why = a.backendSource === 'requested' ? 'requested' : 'platform default';
  return `${a.backend} (${why}; Dawn did not report the backend it opened)`;
}
