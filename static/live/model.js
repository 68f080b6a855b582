// The pretrained VAE in the browser (exported by `python scripts/export_browser.py` from
// assets/model/): the decoder p_θ(x|z) and the encoder q_φ(z|x) of vae_core/model.py, as plain
// loops over the exported weights (int8 with a float32 scale per row, dequantized here to float32,
// bit-identical to vae_core.export_browser.rounded_model). Fetched once per visit (static/model/,
// cacheable) and shared by every live view on the page. The decoder and the encoder are separate
// files: a page that only decodes (the latent explorer) never fetches the encoder. Browser tests
// hold decode/encode equal to rounded_model's (1e-5 / 1e-4).

const base = new URL("../model/", import.meta.url);
let manifestLoad = null;
const partLoads = new Map(); // part name → Promise<ArrayBuffer>
const modelLoads = new Map(); // "decoder" | "full" → Promise<Model>

/** Retry on the next call if a fetch failed (a later mount may succeed). */
function memo(map, key, make) {
  if (!map.has(key)) {
    const promise = make();
    map.set(key, promise);
    promise.catch(() => map.delete(key));
  }
  return map.get(key);
}

function loadManifest() {
  if (!manifestLoad) {
    // Revalidated on every visit (a tiny request); each .bin's URL carries its sha256, so the
    // browser may keep the weights as long as they are unchanged.
    manifestLoad = fetch(new URL("vae.json", base), { cache: "no-cache" }).then((r) => {
      if (!r.ok) throw new Error(`model manifest: HTTP ${r.status}`);
      return r.json();
    });
    manifestLoad.catch(() => { manifestLoad = null; });
  }
  return manifestLoad;
}

function loadPart(manifest, part) {
  return memo(partLoads, part, async () => {
    const file = manifest.files[part];
    const response = await fetch(new URL(`${file.name}?v=${file.sha256.slice(0, 12)}`, base));
    if (!response.ok) throw new Error(`model weights (${part}): HTTP ${response.status}`);
    return response.arrayBuffer();
  });
}

/** Load the exported model once; resolves to a Model. ``encoder: false`` fetches only the decoder's
 *  file (its Model then cannot encode). */
export function loadModel({ encoder = true } = {}) {
  return memo(modelLoads, encoder ? "full" : "decoder", async () => {
    const manifest = await loadManifest();
    const parts = encoder ? ["decoder", "encoder"] : ["decoder"];
    const buffers = await Promise.all(parts.map((part) => loadPart(manifest, part)));
    return new Model(manifest, Object.fromEntries(parts.map((part, i) => [part, buffers[i]])));
  });
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
  /** ``buffers``: part name → the ArrayBuffer of its .bin (the decoder's at least). */
  constructor(manifest, buffers) {
    this.manifest = manifest;
    const t = Object.fromEntries(manifest.tensors.map((x) => [x.name, x]));
    const tensor = (name) => {
      const e = t[name];
      if (!e) throw new Error(`model export lacks ${name}`);
      const buffer = buffers[e.part];
      if (e.kind === "float32") return new Float32Array(buffer, e.offset, e.shape.reduce((a, b) => a * b, 1));
      const [rows, cols] = e.shape;
      const q = new Int8Array(buffer, e.offset, rows * cols), scale = new Float32Array(buffer, e.scale_offset, rows);
      const w = new Float32Array(rows * cols); // float32(q · s), as numpy's dequantize
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = q[r * cols + c] * scale[r];
      return w;
    };
    const layer = (prefix) => {
      const [rows, cols] = t[`${prefix}.weight`].shape;
      return { rows, cols, w: tensor(`${prefix}.weight`), b: tensor(`${prefix}.bias`) };
    };
    const args = manifest.model_args;
    const mlp = (prefix, count) => Array.from({ length: count }, (_, i) => layer(`${prefix}.${2 * i}`));
    this.decoder = mlp("decoder", args.decoder_hidden.length + 1);
    this.hasEncoder = Boolean(buffers.encoder);
    if (this.hasEncoder) {
      this.encoder = mlp("encoder_body", args.encoder_hidden.length);
      this.toMu = layer("to_mu");
      this.toLogvar = layer("to_logvar");
    }
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
    if (!this.hasEncoder) throw new Error("this model was loaded without its encoder");
    let h = Float64Array.from(x);
    this.encoder.forEach((layer, i) => { h = dense(layer, h, this.buffer(layer.rows, `e${i}`), this.encAct); });
    return {
      mu: Array.from(dense(this.toMu, h, new Float64Array(this.zDim), null)),
      logvar: Array.from(dense(this.toLogvar, h, new Float64Array(this.zDim), null)),
    };
  }
}

/** For parity tests: decode many latent points → array of arrays of probabilities (``encoder:
 *  false``: the decoder-only model /latent loads). */
export async function decodeMany(points, { encoder = true } = {}) {
  const model = await loadModel({ encoder });
  return points.map((z) => Array.from(model.decode(z)));
}

/** For parity tests: encode many images → [[mu…], [logvar…]] per image. */
export async function encodeMany(images) {
  const model = await loadModel();
  return images.map((x) => { const q = model.encode(x); return [q.mu, q.logvar]; });
}
