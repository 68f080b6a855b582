// The pretrained VAE in the browser (exported by `python scripts/export_browser.py` from
// assets/model/): the decoder p_θ(x|z) and the encoder q_φ(z|x) of vae_core/model.py, as plain
// loops over float32 weights. Fetched once per visit (static/model/, cacheable) and shared by every
// live view on the page. Browser tests hold decode/encode equal to torch (1e-5 / 1e-4).

let loading = null;

/** Load the exported model once; resolves to a Model. */
export function loadModel() {
  if (!loading) {
    const base = new URL("../model/", import.meta.url);
    loading = (async () => {
      // The manifest is revalidated on every visit (a tiny request); the weights' URL carries their
      // sha256, so the browser may keep them as long as they are unchanged.
      const manifest = await (await fetch(new URL("vae.json", base), { cache: "no-cache" })).json();
      const response = await fetch(new URL(`vae_f32.bin?v=${manifest.sha256.slice(0, 12)}`, base));
      if (!response.ok) throw new Error(`model weights: HTTP ${response.status}`);
      const buffer = await response.arrayBuffer();
      return new Model(manifest, new Float32Array(buffer));
    })();
    loading.catch(() => { loading = null; }); // a failed fetch may be retried by the next mount
  }
  return loading;
}

const ACT = {
  tanh: Math.tanh,
  relu: (v) => (v > 0 ? v : 0),
  elu: (v) => (v > 0 ? v : Math.expm1(v)),
  softplus: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
};

function activation(name) {
  if (!ACT[name]) throw new Error(`activation ${name} is not implemented in the browser`);
  return ACT[name];
}

/** y = W x + b for W (out, in) row-major; then the activation, if any. */
function dense(layer, input, output, act) {
  const { w, b, rows, cols } = layer;
  for (let r = 0; r < rows; r++) {
    let s = b[r];
    const o = r * cols;
    for (let c = 0; c < cols; c++) s += w[o + c] * input[c];
    output[r] = act ? act(s) : s;
  }
  return output;
}

export class Model {
  constructor(manifest, flat) {
    this.manifest = manifest;
    const t = Object.fromEntries(manifest.tensors.map((x) => [x.name, x]));
    const layer = (prefix) => {
      const w = t[`${prefix}.weight`], b = t[`${prefix}.bias`];
      const [rows, cols] = w.shape;
      return { rows, cols, w: flat.subarray(w.offset, w.offset + rows * cols), b: flat.subarray(b.offset, b.offset + rows) };
    };
    const args = manifest.model_args;
    const mlp = (prefix, count) => Array.from({ length: count }, (_, i) => layer(`${prefix}.${2 * i}`));
    this.encoder = mlp("encoder_body", args.encoder_hidden.length);
    this.toMu = layer("to_mu");
    this.toLogvar = layer("to_logvar");
    this.decoder = mlp("decoder", args.decoder_hidden.length + 1);
    this.encAct = activation(args.encoder_activation);
    this.decAct = activation(args.decoder_activation);
    this.xDim = args.x_dim;
    this.zDim = args.z_dim;
    this.buffers = new Map();
  }

  buffer(size, tag) {
    const key = `${tag}:${size}`;
    if (!this.buffers.has(key)) this.buffers.set(key, new Float64Array(size));
    return this.buffers.get(key);
  }

  /** Decoder logits ℓ_θ(z) (D_x) — VAE.decode. */
  logits(z) {
    let h = Float64Array.from(z);
    this.decoder.forEach((layer, i) => {
      const last = i === this.decoder.length - 1;
      h = dense(layer, h, this.buffer(layer.rows, `d${i}`), last ? null : this.decAct);
    });
    return h;
  }

  /** Pixel probabilities sigmoid(ℓ_θ(z)) into ``out`` (Float32Array or Float64Array of D_x). */
  decode(z, out = new Float64Array(this.xDim)) {
    const logits = this.logits(z);
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-logits[i]));
    return out;
  }

  /** q_φ(z|x) for x in [0, 1]^D_x → {mu, logvar} — VAE.encode. */
  encode(x) {
    let h = Float64Array.from(x);
    this.encoder.forEach((layer, i) => { h = dense(layer, h, this.buffer(layer.rows, `e${i}`), this.encAct); });
    return {
      mu: Array.from(dense(this.toMu, h, new Float64Array(this.zDim), null)),
      logvar: Array.from(dense(this.toLogvar, h, new Float64Array(this.zDim), null)),
    };
  }
}

/** For parity tests: decode many latent points → array of arrays of probabilities. */
export async function decodeMany(points) {
  const model = await loadModel();
  return points.map((z) => Array.from(model.decode(z)));
}

/** For parity tests: encode many images → [[mu…], [logvar…]] per image. */
export async function encodeMany(images) {
  const model = await loadModel();
  return images.map((x) => { const q = model.encode(x); return [q.mu, q.logvar]; });
}
