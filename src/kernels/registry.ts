// Every shader file with a `struct Args` and the launcher layout that owns it. The layouts test
// (tests/kernels/layouts.test.ts) parses each shader's struct and checks it against the layout.
import type { UniformLayoutInfo } from '../gpu/uniforms.js';
import { ARGMAX_ARGS, ARGMAX_FILE, ARGMAX_SPLIT_ARGS, ARGMAX_SPLIT_FILE } from './argmax.js';
import { KV_WRITE_ARGS, KV_WRITE_FILE, SDPA_ARGS, SDPA_COMBINE_ARGS, SDPA_COMBINE_FILE, SDPA_DECODE_ARGS, SDPA_DECODE_FILE, SDPA_FILE } from './attention.js';
import { EMBEDDING_ARGS, EMBEDDING_FILE } from './embedding.js';
import { MATMUL_ARGS, MATMUL_FILE } from './matmul.js';
import { RMSNORM_ARGS, RMSNORM_FILE } from './rmsnorm.js';
import { MOE_DOWN_ARGS, MOE_DOWN_FILE, MOE_SWIGLU_ARGS, MOE_SWIGLU_FILE } from './moe.js';
import { MXFP4_DEQUANT_ARGS, MXFP4_DEQUANT_FILE } from './mxfp4.js';
import { TOPK_ARGS, TOPK_FILE } from './topk.js';
import { ROPE_ARGS, ROPE_FILE } from './rope.js';
import { STREAM_READ_ARGS, STREAM_READ_FILE } from './stream-read.js';
import { SAMPLE_ARGS, SAMPLE_COMMON_FILE, SAMPLE_FILE, SAMPLE_PARAMS, SAMPLE_SELECT_FILE } from './sampler.js';

export interface KernelLayoutEntry {
  readonly file: string;
  readonly struct: string;
  readonly layout: UniformLayoutInfo;
}

export const KERNEL_LAYOUTS: readonly KernelLayoutEntry[] = [
  { file: RMSNORM_FILE, struct: 'Args', layout: RMSNORM_ARGS },
  { file: TOPK_FILE, struct: 'Args', layout: TOPK_ARGS },
  { file: MXFP4_DEQUANT_FILE, struct: 'Args', layout: MXFP4_DEQUANT_ARGS },
  { file: MOE_SWIGLU_FILE, struct: 'Args', layout: MOE_SWIGLU_ARGS },
  { file: MOE_DOWN_FILE, struct: 'Args', layout: MOE_DOWN_ARGS },
  { file: EMBEDDING_FILE, struct: 'Args', layout: EMBEDDING_ARGS },
  { file: MATMUL_FILE, struct: 'Args', layout: MATMUL_ARGS },
  { file: ROPE_FILE, struct: 'Args', layout: ROPE_ARGS },
  { file: SDPA_FILE, struct: 'Args', layout: SDPA_ARGS },
  { file: SDPA_DECODE_FILE, struct: 'Args', layout: SDPA_DECODE_ARGS },
  { file: SDPA_COMBINE_FILE, struct: 'Args', layout: SDPA_COMBINE_ARGS },
  { file: KV_WRITE_FILE, struct: 'Args', layout: KV_WRITE_ARGS },
  { file: ARGMAX_FILE, struct: 'Args', layout: ARGMAX_ARGS },
  { file: ARGMAX_SPLIT_FILE, struct: 'Args', layout: ARGMAX_SPLIT_ARGS },
  { file: SAMPLE_COMMON_FILE, struct: 'Args', layout: SAMPLE_ARGS },
  { file: SAMPLE_COMMON_FILE, struct: 'Params', layout: SAMPLE_PARAMS },
  { file: SAMPLE_FILE, struct: 'Args', layout: SAMPLE_ARGS },
  { file: SAMPLE_SELECT_FILE, struct: 'Args', layout: SAMPLE_ARGS },
  { file: STREAM_READ_FILE, struct: 'Args', layout: STREAM_READ_ARGS },
];
