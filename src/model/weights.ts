// Model weights on the GPU, in checkpoint encoding: bf16 dense tensors (two per u32), MXFP4 experts
// as blocks + scales (decoded inside the kernels). q/k/v projections are fused at load time into one
// [(Hq + 2 Hkv) Dh, C] matrix (rows: q, then k, then v) so one matmul produces qkv.
// Every tensor streams from disk in bounded pieces (src/model/checkpoint.ts) straight into its GPU
// buffer(s); tensors larger than one binding are chunked by rows (src/gpu/tensor.ts).

import { ModelFormatError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import { createTensor, TensorWriter, type GpuTensor } from '../gpu/tensor.js';
import { DEFAULT_CHUNK_BYTES, readTensorChunks, type Checkpoint, type TensorInfo } from './checkpoint.js';
import { toBf16Bytes } from './dtype-convert.js';
import type { DType, ModelConfig } from './shapes.js';

export interface LayerWeights {
  readonly attnNorm: GpuTensor; // bf16 [C]
  readonly qkvWeight: GpuTensor; // bf16 [(Hq + 2Hkv) Dh, C]
  readonly qkvBias: GpuTensor; // bf16 [(Hq + 2Hkv) Dh]
  readonly sinks: GpuTensor; // bf16 [Hq]
  readonly outWeight: GpuTensor; // bf16 [C, Hq Dh]
  readonly outBias: GpuTensor; // bf16 [C]
  readonly mlpNorm: GpuTensor; // bf16 [C]
  readonly routerWeight: GpuTensor; // bf16 [E, C]
  readonly routerBias: GpuTensor; // bf16 [E]
  readonly gateUpBlocks: GpuTensor; // u8 [E, 2I, C/32, 16]
  readonly gateUpScales: GpuTensor; // u8 [E, 2I, C/32]
  readonly gateUpBias: GpuTensor; // bf16 [E, 2I]
  readonly downBlocks: GpuTensor; // u8 [E, C, I/32, 16]
  readonly downScales: GpuTensor; // u8 [E, C, I/32]
  readonly downBias: GpuTensor; // bf16 [E, C]
}

export interface ModelWeights {
  readonly embedding: GpuTensor; // bf16 [V, C]
  readonly layers: readonly LayerWeights[];
  readonly finalNorm: GpuTensor; // bf16 [C]
  readonly lmHead: GpuTensor; // bf16 [V, C]
  /** Notes for the user (e.g. F32 tensors rounded to bf16). */
  readonly warnings: readonly string[];
  readonly bytes: number;
}

export interface LoadProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly tensor: string;
}

export interface LoadWeightsOptions {
  readonly onProgress?: (p: LoadProgress) => void;
  readonly signal?: AbortSignal;
  /** Force smaller tensor chunks than the device allows (tests of the chunked paths). */
  readonly maxChunkBytes?: number;
}

/** Wait for the GPU to drain Dawn's upload staging after this many bytes (bounds host memory). */
const UPLOAD_FLUSH_BYTES = 256 * 1024 * 1024;

export async function loadWeights(gpu: Gpu, ckpt: Checkpoint, opts: LoadWeightsOptions = {}): Promise<ModelWeights> {
  const cfg = ckpt.config;
  const warnings: string[] = [];
  const created: GpuTensor[] = [];
  let bytesDone = 0;
  let sinceFlush = 0;
  const readBuffer = new Uint8Array(DEFAULT_CHUNK_BYTES);
  const convertBuffer = new Uint8Array(DEFAULT_CHUNK_BYTES);

  const info = (name: string): TensorInfo => {
    const t = ckpt.tensors.get(name);
    if (!t) throw new ModelFormatError(`${ckpt.dir}: tensor '${name}' missing`, ckpt.dir);
    return t;
  };

  /** Stream checkpoint tensors `names` (in order) into one GPU tensor of `shape`. */
  const load = async (label: string, dtype: DType, shape: readonly number[], names: readonly string[]): Promise<GpuTensor> => {
    const tensor = createTensor(gpu, label, dtype, shape, { maxChunkBytes: opts.maxChunkBytes });
    created.push(tensor);
    const writer = new TensorWriter(gpu, tensor);
    for (const name of names) {
      const src = info(name);
      const convert = dtype === 'bf16' && src.dtype !== 'BF16';
      if (convert && src.dtype !== 'F32' && src.dtype !== 'F16') {
        throw new ModelFormatError(`${src.file}: tensor '${name}' has dtype ${src.dtype}, expected BF16, F16 or F32`, src.file);
      }
      if (convert && !warnings.some((w) => w.startsWith(`${src.dtype} `))) {
        warnings.push(`${src.dtype} dense tensors (e.g. '${name}') were rounded to bf16 on load`);
      }
      await readTensorChunks(
        src,
        async (bytes) => {
          writer.write(convert ? toBf16Bytes(src.dtype as 'F32' | 'F16', bytes, convertBuffer) : bytes);
          bytesDone += bytes.byteLength;
          sinceFlush += bytes.byteLength;
          opts.onProgress?.({ bytesDone, bytesTotal: ckpt.totalBytes, tensor: name });
          if (sinceFlush >= UPLOAD_FLUSH_BYTES) {
            sinceFlush = 0;
            await gpu.queue.onSubmittedWorkDone();
          }
        },
        { signal: opts.signal, buffer: readBuffer },
      );
    }
    writer.finish();
    return tensor;
  };

  try {
    const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, vocabSize: V } = cfg;
    const G = 32; // MXFP4 group size (elements per scale)
    const embedding = await load('embedding', 'bf16', [V, C], ['model.embed_tokens.weight']);
    const layers: LayerWeights[] = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      const p = `model.layers.${l}`;
      const attn = `${p}.self_attn`;
      const mlp = `${p}.mlp`;
      layers.push({
        attnNorm: await load(`L${l}.attn_norm`, 'bf16', [C], [`${p}.input_layernorm.weight`]),
        qkvWeight: await load(`L${l}.qkv`, 'bf16', [(Hq + 2 * Hkv) * Dh, C], [`${attn}.q_proj.weight`, `${attn}.k_proj.weight`, `${attn}.v_proj.weight`]),
        qkvBias: await load(`L${l}.qkv_bias`, 'bf16', [(Hq + 2 * Hkv) * Dh], [`${attn}.q_proj.bias`, `${attn}.k_proj.bias`, `${attn}.v_proj.bias`]),
        sinks: await load(`L${l}.sinks`, 'bf16', [Hq], [`${attn}.sinks`]),
        outWeight: await load(`L${l}.out`, 'bf16', [C, Hq * Dh], [`${attn}.o_proj.weight`]),
        outBias: await load(`L${l}.out_bias`, 'bf16', [C], [`${attn}.o_proj.bias`]),
        mlpNorm: await load(`L${l}.mlp_norm`, 'bf16', [C], [`${p}.post_attention_layernorm.weight`]),
        routerWeight: await load(`L${l}.router`, 'bf16', [E, C], [`${mlp}.router.weight`]),
        routerBias: await load(`L${l}.router_bias`, 'bf16', [E], [`${mlp}.router.bias`]),
        gateUpBlocks: await load(`L${l}.gate_up_blocks`, 'u8', [E, 2 * I, C / G, G / 2], [`${mlp}.experts.gate_up_proj_blocks`]),
        gateUpScales: await load(`L${l}.gate_up_scales`, 'u8', [E, 2 * I, C / G], [`${mlp}.experts.gate_up_proj_scales`]),
        gateUpBias: await load(`L${l}.gate_up_bias`, 'bf16', [E, 2 * I], [`${mlp}.experts.gate_up_proj_bias`]),
        downBlocks: await load(`L${l}.down_blocks`, 'u8', [E, C, I / G, G / 2], [`${mlp}.experts.down_proj_blocks`]),
        downScales: await load(`L${l}.down_scales`, 'u8', [E, C, I / G], [`${mlp}.experts.down_proj_scales`]),
        downBias: await load(`L${l}.down_bias`, 'bf16', [E, C], [`${mlp}.experts.down_proj_bias`]),
      });
    }
    const finalNorm = await load('final_norm', 'bf16', [C], ['model.norm.weight']);
    const lmHead = await load('lm_head', 'bf16', [V, C], ['lm_head.weight']);
    await gpu.sync();
    const bytes = created.reduce((n, t) => n + t.byteLength, 0);
    return { embedding, layers, finalNorm, lmHead, warnings, bytes };
  } catch (err) {
    for (const t of created) t.destroy(gpu);
    throw err;
  }
}

export function destroyWeights(gpu: Gpu, w: ModelWeights): void {
  const all: GpuTensor[] = [w.embedding, w.finalNorm, w.lmHead];
  for (const l of w.layers) all.push(...(Object.values(l) as GpuTensor[]));
  for (const t of all) t.destroy(gpu);
}

/** Bytes the weights occupy on the GPU for a config (same as on disk for bf16 checkpoints). */
export function weightBytes(cfg: ModelConfig): number {
  const { hiddenSize: C, intermediateSize: I, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, numExperts: E, vocabSize: V } = cfg;
  const G = 32;
  const dense = 2 * (C + (Hq + 2 * Hkv) * Dh * (C + 1) + Hq + C * (Hq * Dh + 1) + C + E * (C + 1) + E * 2 * I + E * C);
  const mxfp4 = E * 2 * I * (C / G) * (G / 2 + 1) + E * C * (I / G) * (G / 2 + 1);
  return 2 * V * C * 2 + 2 * C + cfg.numLayers * (dense + mxfp4);
}
