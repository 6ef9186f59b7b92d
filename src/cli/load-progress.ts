// Loading a model from the command line: a progress bar on stderr while weights stream to the GPU.
import { loadModel, type LoadModelOptions, type LoadedModel } from '../model/load.js';
import { openCheckpoint } from '../model/checkpoint.js';
import { ProgressBar } from './progress.js';

export async function loadModelWithProgress(dir: string, opts: LoadModelOptions = {}, quiet = false): Promise<LoadedModel> {
  if (quiet) return loadModel(dir, opts);
  const { totalBytes } = await openCheckpoint(dir);
  const bar = new ProgressBar({ label: 'loading', totalBytes });
  try {
    const model = await loadModel(dir, { ...opts, onProgress: (p) => bar.update(p.bytesDone) });
    bar.finish(totalBytes);
    return model;
  } catch (err) {
    bar.finish();
    throw err;
  }
}
