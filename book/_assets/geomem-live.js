/* geomem-live.js: the book's kernel-free panels (no kernel, no network).
 *
 * A notebook cell (geomem_utils/live/panels.py) writes <div data-geomem-live="KIND"> with its data
 * in a <script type="application/json"> child; book/_ext/geomem_book.py adds this file
 * (after plotly.min.js) to the pages that hold such a div, and this file builds the panel:
 *
 *  - "node2vec": Node2Vec retrained in the page. Full-batch gradient descent on the total
 *    loss, exactly geomem_utils.science.models.train_node2vec (tied: V <- V + lr (G + G^T) V) and
 *    geomem_utils.science.models.train_node2vec_untied (U <- U + lr G W, W <- W + lr G^T U),
 *    with G = D^-1 A - row_softmax(V W^T); float32 storage (Float32Array), so that it
 *    agrees with the same code run by PyTorch in float32 (tests/test_live_js.py runs this
 *    file in Node.js against it).
 *  - "playground": a viewer of the playground's grid, precomputed when the book was
 *    executed (geomem_utils.live.grid.static_grid): graph x model x edges x init scale x
 *    training step, each view drawn as 05_playground draws one run; the one-layer network,
 *    the associative model (OneLayerTrainer), the one-layer Transformer (TransformerTrainer,
 *    backward derived by hand; tests/unit/test_live_tfm_js.py) and the one-layer Mamba
 *    (MambaTrainer, likewise; tests/unit/test_live_mamba_js.py) also retrain in the page.
 *  - "knobs": chapter 04's one-layer network retrained under the knob table's recipe.
 *
 * Without a browser (Node.js) the file exports its numerical core (module.exports).
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  if (typeof window !== "undefined") {
    window.GeomemLive = api;
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", api.startAll);
    else api.startAll();
  }
})(this, function () {
  "use strict";
  var f32 = Math.fround;

  // ------------------------------------------------------------------ graphs

  /** D^-1 A (n*n, row-major, float32) of an undirected graph; self-edges set A_uu = 1. */
  function transition(n, edges, selfEdges) {
    var A = new Float64Array(n * n), T = new Float32Array(n * n), i, j;
    edges.forEach(function (e) { A[e[0] * n + e[1]] = 1; A[e[1] * n + e[0]] = 1; });
    if (selfEdges) for (i = 0; i < n; i++) A[i * n + i] = 1;
    for (i = 0; i < n; i++) {
      var deg = 0;
      for (j = 0; j < n; j++) deg += A[i * n + j];
      if (deg === 0) throw new Error("node " + i + " is isolated: it has no edge to learn");
      for (j = 0; j < n; j++) T[i * n + j] = A[i * n + j] / deg;
    }
    return T;
  }

  var PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"];

  /** Path-star G(d, l) with canonical ids (root 0, arm a = 1 + a(l-1) ...), drawn radially
   *  like geomem_utils.figures.plots.graph_layout, coloured by arm like plots.branch_colors. */
  function pathStar(d, l) {
    var n = 1 + d * (l - 1), edges = [], pos = [[0, 0]], colors = ["#222222"];
    for (var a = 0; a < d; a++) {
      var prev = 0, ang = 2 * Math.PI * a / d;
      for (var k = 1; k < l; k++) {
        var node = 1 + a * (l - 1) + (k - 1);
        edges.push([prev, node]);
        pos.push([k * Math.cos(ang), k * Math.sin(ang)]);
        colors.push(PALETTE[a % PALETTE.length]);
        prev = node;
      }
    }
    return { name: "G(" + d + ", " + l + ")", n: n, edges: edges, pos: pos, colors: colors };
  }

  // ------------------------------------------------------------------ linear algebra

  /** Eigen-decomposition of a symmetric n*n matrix (cyclic Jacobi, float64).
   *  Returns {values, vectors}: values descending, vectors[r * n + i] = entry r of e_i. */
  function eigh(M, n) {
    var a = Float64Array.from(M), v = new Float64Array(n * n), p, q, k, sweep;
    for (p = 0; p < n; p++) v[p * n + p] = 1;
    var norm = 0;
    for (k = 0; k < n * n; k++) norm += a[k] * a[k];
    for (sweep = 0; sweep < 100; sweep++) {
      var off = 0;
      for (p = 0; p < n; p++) for (q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
      if (off <= 1e-30 * norm || off === 0) break;
      for (p = 0; p < n; p++) {
        for (q = p + 1; q < n; q++) {
          var apq = a[p * n + q];
          if (Math.abs(apq) < 1e-300) continue;
          var theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
          var t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          var c = 1 / Math.sqrt(t * t + 1), s = t * c, x, y;
          for (k = 0; k < n; k++) {  // columns p, q
            x = a[k * n + p]; y = a[k * n + q];
            a[k * n + p] = c * x - s * y; a[k * n + q] = s * x + c * y;
          }
          for (k = 0; k < n; k++) {  // rows p, q
            x = a[p * n + k]; y = a[q * n + k];
            a[p * n + k] = c * x - s * y; a[q * n + k] = s * x + c * y;
          }
          for (k = 0; k < n; k++) {
            x = v[k * n + p]; y = v[k * n + q];
            v[k * n + p] = c * x - s * y; v[k * n + q] = s * x + c * y;
          }
        }
      }
    }
    var order = [];
    for (k = 0; k < n; k++) order.push(k);
    order.sort(function (i, j) { return a[j * n + j] - a[i * n + i]; });
    var values = new Float64Array(n), vectors = new Float64Array(n * n);
    order.forEach(function (col, i) {
      values[i] = a[col * n + col];
      for (var r = 0; r < n; r++) vectors[r * n + i] = v[r * n + col];
    });
    return { values: values, vectors: vectors };
  }

  /** The spectrum of M = D^-1 A + (D^-1 A)^T (spectral.graph_spectrum): eigenpairs,
   *  the normalised spectrum (top dropped, / the largest left) and the smooth set. */
  function graphSpectrum(n, edges) {
    // float64 from the exact D^-1 A, like graphs.sym_transition
    var M = new Float64Array(n * n), A = new Float64Array(n * n), deg = new Float64Array(n), i, j;
    edges.forEach(function (e) { A[e[0] * n + e[1]] = 1; A[e[1] * n + e[0]] = 1; });
    for (i = 0; i < n; i++) for (j = 0; j < n; j++) deg[i] += A[i * n + j];
    for (i = 0; i < n; i++) for (j = 0; j < n; j++) M[i * n + j] = A[i * n + j] / deg[i] + A[j * n + i] / deg[j];
    var e = eigh(M, n), normalised = [], smooth = [true];
    for (i = 1; i < n; i++) { normalised.push(e.values[i] / e.values[1]); smooth.push(e.values[i] / e.values[1] > 1e-9); }
    return { n: n, values: e.values, vectors: e.vectors, normalised: normalised, smooth: smooth };
  }

  /** ||X^T e_i|| for every eigenvector (spectral.projection_profile); centre: subtract the mean row. */
  function projections(X, n, m, spec, centre) {
    var x = Float64Array.from(X), i, k, r;
    if (centre) {
      for (k = 0; k < m; k++) {
        var mean = 0;
        for (r = 0; r < n; r++) mean += x[r * m + k];
        mean /= n;
        for (r = 0; r < n; r++) x[r * m + k] -= mean;
      }
    }
    var out = new Float64Array(n);
    for (i = 0; i < n; i++) {
      var ss = 0;
      for (k = 0; k < m; k++) {
        var s = 0;
        for (r = 0; r < n; r++) s += spec.vectors[r * n + i] * x[r * m + k];
        ss += s * s;
      }
      out[i] = Math.sqrt(ss);
    }
    return out;
  }

  /** Spec §7: drop e_0's entry, divide the rest by their largest. */
  function normalisedProfile(prof) {
    var rest = Array.prototype.slice.call(prof, 1), mx = Math.max.apply(null, rest.concat([1e-300]));
    return rest.map(function (v) { return v / mx; });
  }

  /** Share of the centred embedding's energy on the smooth eigenvectors (spectral.alignment). */
  function alignment(X, n, m, spec) {
    var p = projections(X, n, m, spec, true), tot = 0, sm = 0;
    for (var i = 0; i < n; i++) { tot += p[i] * p[i]; if (spec.smooth[i]) sm += p[i] * p[i]; }
    return sm / Math.max(tot, 1e-300);
  }

  /** Top-2 principal components of the rows, sign fixed (largest |entry| positive) and
   *  scaled to a largest |coordinate| of 1, like plots.pca_2d_unit: [[x...], [y...]]. */
  function pca2d(X, n, m) {
    var x = Float64Array.from(X), r, k, j;
    for (k = 0; k < m; k++) {
      var mean = 0;
      for (r = 0; r < n; r++) mean += x[r * m + k];
      mean /= n;
      for (r = 0; r < n; r++) x[r * m + k] -= mean;
    }
    var K = new Float64Array(n * n);
    for (r = 0; r < n; r++) for (j = r; j < n; j++) {
      var s = 0;
      for (k = 0; k < m; k++) s += x[r * m + k] * x[j * m + k];
      K[r * n + j] = s; K[j * n + r] = s;
    }
    var e = eigh(K, n), out = [[], []], big = 1e-300;
    for (var a = 0; a < 2; a++) {
      var sc = Math.sqrt(Math.max(e.values[a] || 0, 0)), best = 0;
      for (r = 0; r < n; r++) {
        var val = a < n ? e.vectors[r * n + a] * sc : 0;
        out[a].push(val);
        if (Math.abs(val) > Math.abs(best)) best = val;
      }
      if (best < 0) out[a] = out[a].map(function (v) { return -v; });
      out[a].forEach(function (v) { big = Math.max(big, Math.abs(v)); });
    }
    return out.map(function (col) { return col.map(function (v) { return v / big; }); });
  }

  // ------------------------------------------------------------------ Node2Vec

  /** A seeded N(0, std^2) float32 matrix (mulberry32 + Box-Muller): the page's own init. */
  function randomNormal(count, std, seed) {
    var st = (seed >>> 0) || 1, out = new Float32Array(count);
    function rnd() {
      st = (st + 0x6D2B79F5) >>> 0;
      var t = st;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
    }
    for (var i = 0; i < count; i += 2) {
      var u = rnd(), v = rnd(), rad = Math.sqrt(-2 * Math.log(u));
      out[i] = rad * Math.cos(2 * Math.PI * v) * std;
      if (i + 1 < count) out[i + 1] = rad * Math.sin(2 * Math.PI * v) * std;
    }
    return out;
  }

  /** Node2Vec by full-batch gradient descent on the total loss, float32.
   *  opts: n, width m, T (Float32Array n*n, D^-1 A), V0 (Float32Array n*m), tied (bool),
   *  W0 (untied: the output embedding's init), lr. Call advance(k) to take k steps. */
  function Node2VecTrainer(opts) {
    var n = opts.n, m = opts.width;
    this.n = n; this.m = m; this.T = opts.T; this.tied = opts.tied !== false;
    this.lr = f32(opts.lr);
    this.V = Float32Array.from(opts.V0);
    this.W = this.tied ? this.V : Float32Array.from(opts.W0);
    this.step = 0;
    this.losses = [];  // per-node mean loss at each step, of the V the step starts from
    this._S = new Float32Array(n * n);
    this._G = new Float32Array(n * n);
    this._C = new Float32Array(n * n);
    this._nv = new Float32Array(n * m);
    this._nw = this.tied ? null : new Float32Array(n * m);
    if (this.V.length !== n * m || this.W.length !== n * m) throw new Error("the initial matrix must be n x width");
  }

  Node2VecTrainer.prototype.advance = function (k) {
    var n = this.n, m = this.m, T = this.T, S = this._S, G = this._G, C = this._C, lr = this.lr;
    var acc = new Float64Array(m), acc2 = new Float64Array(m);
    var i, j, r, s, base, loss, c, off;
    for (var it = 0; it < k; it++) {
      var V = this.V, W = this.W, tied = this.tied;
      for (i = 0; i < n; i++) {  // S = V W^T (float32 stores); symmetric when tied
        for (j = tied ? i : 0; j < n; j++) {
          var vi = i * m, wj = j * m, s0 = 0, s1 = 0, s2 = 0, s3 = 0;  // four chains: faster in V8
          for (r = 0; r + 3 < m; r += 4) {
            s0 += V[vi + r] * W[wj + r]; s1 += V[vi + r + 1] * W[wj + r + 1];
            s2 += V[vi + r + 2] * W[wj + r + 2]; s3 += V[vi + r + 3] * W[wj + r + 3];
          }
          for (; r < m; r++) s0 += V[vi + r] * W[wj + r];
          s = (s0 + s1) + (s2 + s3);
          S[i * n + j] = s;
          if (tied) S[j * n + i] = s;
        }
      }
      loss = 0;
      for (i = 0; i < n; i++) {  // G = D^-1 A - row_softmax(S); loss = -sum T log P / n
        base = i * n;
        var mx = -Infinity, sum = 0;
        for (j = 0; j < n; j++) if (S[base + j] > mx) mx = S[base + j];
        for (j = 0; j < n; j++) sum += Math.exp(S[base + j] - mx);
        var lse = mx + Math.log(sum);
        for (j = 0; j < n; j++) {
          var logp = f32(S[base + j] - lse);
          if (T[base + j] !== 0) loss -= T[base + j] * logp;
          G[base + j] = T[base + j] - f32(Math.exp(logp));
        }
      }
      this.losses.push(loss / n);
      var nv = this._nv;
      if (tied) {  // V <- V + lr (G + G^T) V: row i of C V accumulated in float64, stored float32
        for (i = 0; i < n; i++) for (j = 0; j < n; j++) C[i * n + j] = G[i * n + j] + G[j * n + i];
        for (i = 0; i < n; i++) {
          acc.fill(0);
          for (j = 0; j < n; j++) {
            c = C[i * n + j]; off = j * m;
            for (r = 0; r < m; r++) acc[r] += c * V[off + r];
          }
          off = i * m;
          for (r = 0; r < m; r++) nv[off + r] = V[off + r] + f32(lr * f32(acc[r]));
        }
        this._nv = V; this.V = nv; this.W = nv;
      } else {  // U <- U + lr G W, W <- W + lr G^T U (both from the old U, W)
        var nw = this._nw;
        for (i = 0; i < n; i++) {
          acc.fill(0); acc2.fill(0);
          for (j = 0; j < n; j++) {
            var g1 = G[i * n + j], g2 = G[j * n + i];
            off = j * m;
            for (r = 0; r < m; r++) { acc[r] += g1 * W[off + r]; acc2[r] += g2 * V[off + r]; }
          }
          off = i * m;
          for (r = 0; r < m; r++) {
            nv[off + r] = V[off + r] + f32(lr * f32(acc[r]));
            nw[off + r] = W[off + r] + f32(lr * f32(acc2[r]));
          }
        }
        this._nv = V; this._nw = W; this.V = nv; this.W = nw;
      }
      this.step += 1;
    }
    return this;
  };

  // ------------------------------------------------------------------ the one-layer network

  /** The number of special tokens after the node tokens (tasks.SPECIALS: [EDGE] [PATH] [PAUSE] [PAD]). */
  var N_SPECIALS = 4;

  /** The (u, v) pairs a sequence model is trained on (tasks.edge_pairs, direction "both"):
   *  every edge u->v, then every v->u, then u->u with selfEdges. */
  function edgePairs(n, edges, selfEdges) {
    var out = edges.map(function (e) { return [e[0], e[1]]; });
    edges.forEach(function (e) { out.push([e[1], e[0]]); });
    if (selfEdges) for (var u = 0; u < n; u++) out.push([u, u]);
    return out;
  }

  /** The learning rate of optimiser step `step` (0-based): train.lr_at with no warm-up,
   *  "cosine" (to minRatio * lr at the last step) or "constant". */
  function lrAt(step, lr, steps, schedule, minRatio) {
    if (schedule === "constant") return lr;
    var floor = lr * (minRatio === undefined ? 0.1 : minRatio), prog = Math.min(1, step / Math.max(1, steps));
    return floor + 0.5 * (lr - floor) * (1 + Math.cos(Math.PI * prog));
  }

  /** models.OneLayerNet trained by the book's loop on [EDGE] u -> v (runs.edge.edge_run), float32
   *  storage. logits of u = H (W E[u] + b) over the whole vocabulary (nodes then the specials),
   *  H = E when tied; dropout on the hidden vector; mean cross-entropy over the pairs; full batch;
   *  gradient clipping to a global norm (gradClip, null: none); torch.optim.AdamW (betas 0.9,
   *  0.999, eps 1e-8; weight decay on E, W and an untied H, never on b); lrAt's schedule.
   *  opts: n, width, pairs, E0 (vocab*width), W0 (width*width, torch's Linear layout: row = output),
   *  b0, H0 (untied: the head's init), tied, frozen (the associative model: E does not train, nor
   *  H when tied), lr, steps (the schedule's length), schedule, weightDecay, dropout, gradClip,
   *  seed (the page's dropout draws), masks (optional: masks(step) -> Uint8Array pairs*width of
   *  kept units, so that a test can hand over PyTorch's). Call advance(k) to take k steps. */
  function OneLayerTrainer(opts) {
    var n = opts.n, m = opts.width, V = n + N_SPECIALS;
    this.n = n; this.m = m; this.vocab = V; this.pairs = opts.pairs;
    this.tied = opts.tied !== false; this.frozen = !!opts.frozen;
    this.lr = opts.lr; this.steps = opts.steps; this.schedule = opts.schedule || "cosine";
    this.weightDecay = opts.weightDecay || 0; this.dropout = opts.dropout || 0;
    this.gradClip = opts.gradClip === undefined ? 1.0 : opts.gradClip;
    this.masks = opts.masks || null;
    this.E = Float32Array.from(opts.E0); this.W = Float32Array.from(opts.W0); this.b = Float32Array.from(opts.b0);
    this.H = this.tied ? this.E : Float32Array.from(opts.H0);
    if (this.E.length !== V * m || this.W.length !== m * m || this.b.length !== m || this.H.length !== V * m)
      throw new Error("initial weights must be (n + " + N_SPECIALS + ") x width, width x width, width");
    // the trained tensors, as torch's parameter list: [E, W, b] (+ H untied); E out when frozen
    var ps = [];
    if (!this.frozen) ps.push({ w: this.E, decay: true });
    ps.push({ w: this.W, decay: true }, { w: this.b, decay: false });
    if (!this.tied) ps.push({ w: this.H, decay: true });
    ps.forEach(function (p) {
      p.g = new Float64Array(p.w.length); p.m1 = new Float32Array(p.w.length); p.m2 = new Float32Array(p.w.length);
    });
    this.params = ps;
    this._dE = this.frozen ? null : ps[0].g;
    this._dW = ps[this.frozen ? 0 : 1].g; this._db = ps[this.frozen ? 1 : 2].g;
    this._dH = this.tied ? this._dE : ps[ps.length - 1].g;
    var st = ((opts.seed >>> 0) * 2654435761 + 1) >>> 0;  // the page's own dropout draws (mulberry32)
    this._rnd = function () {
      st = (st + 0x6D2B79F5) >>> 0;
      var t = st;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    this.step = 0;
    this.losses = [];  // mean cross-entropy at each step, of the weights the step starts from
  }

  /** The hidden vector W E[u] + b of every node u: Float64Array n*m (eval mode, no dropout). */
  OneLayerTrainer.prototype.hidden = function () {
    var n = this.n, m = this.m, E = this.E, W = this.W, b = this.b, h = new Float64Array(n * m);
    for (var u = 0; u < n; u++) for (var o = 0; o < m; o++) {
      var wo = o * m, eu = u * m, s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;  // four chains: faster in V8
      for (; k + 3 < m; k += 4) {
        s0 += W[wo + k] * E[eu + k]; s1 += W[wo + k + 1] * E[eu + k + 1];
        s2 += W[wo + k + 2] * E[eu + k + 2]; s3 += W[wo + k + 3] * E[eu + k + 3];
      }
      for (; k < m; k++) s0 += W[wo + k] * E[eu + k];
      h[u * m + o] = f32(f32((s0 + s1) + (s2 + s3)) + b[o]);
    }
    return h;
  };

  OneLayerTrainer.prototype.advance = function (k) {
    var n = this.n, m = this.m, V = this.vocab, pairs = this.pairs, N = pairs.length;
    var E = this.E, W = this.W, H = this.H, p = this.dropout, keepScale = p > 0 ? 1 / (1 - p) : 1;
    var hi = new Float64Array(m), z = new Float64Array(V), dh = new Float64Array(m);
    var dhu = new Float64Array(n * m), g = new Float64Array(m), inputGrad = !this.frozen, i, j, o, r, u, s;
    for (var it = 0; it < k; it++) {
      var dE = this._dE, dW = this._dW, db = this._db, dH = this._dH;
      this.params.forEach(function (q) { q.g.fill(0); });
      dhu.fill(0);
      var hu = this.hidden(), mask = p > 0 ? (this.masks ? this.masks(this.step) : null) : null, loss = 0;
      for (i = 0; i < N; i++) {
        u = pairs[i][0];
        for (o = 0; o < m; o++) {  // dropout: a kept unit scaled by 1 / (1 - p)
          var keep = p > 0 ? (mask ? mask[i * m + o] : (this._rnd() >= p ? 1 : 0)) : 1;
          hi[o] = keep ? f32(hu[u * m + o] * keepScale) : 0;
          dh[o] = keep ? keepScale : 0;  // d hidden_dropped / d hidden
        }
        var mx = -Infinity, sum = 0;
        for (j = 0; j < V; j++) {
          s = 0; r = j * m;
          for (o = 0; o < m; o++) s += H[r + o] * hi[o];
          z[j] = f32(s); if (z[j] > mx) mx = z[j];
        }
        for (j = 0; j < V; j++) sum += Math.exp(z[j] - mx);
        var lse = mx + Math.log(sum), v = pairs[i][1];
        loss += lse - z[v];
        g.fill(0);
        for (j = 0; j < V; j++) {  // dz = (softmax - onehot) / N; dH += dz h^T; g = H^T dz
          var dz = (Math.exp(z[j] - lse) - (j === v ? 1 : 0)) / N;
          r = j * m;
          if (dH) for (o = 0; o < m; o++) dH[r + o] += dz * hi[o];  // none when H is frozen
          for (o = 0; o < m; o++) g[o] += dz * H[r + o];
        }
        for (o = 0; o < m; o++) dhu[u * m + o] += g[o] * dh[o];
      }
      this.losses.push(f32(loss / N));
      for (u = 0; u < n; u++) {  // dW += dh_u E[u]^T, db += dh_u, dE[u] += W^T dh_u
        var eu = u * m, any = false;
        for (o = 0; o < m; o++) if (dhu[eu + o] !== 0) { any = true; break; }
        if (!any) continue;
        for (o = 0; o < m; o++) {
          var d = dhu[eu + o], wo = o * m;
          if (d === 0) continue;
          db[o] += d;
          for (r = 0; r < m; r++) dW[wo + r] += d * E[eu + r];
          if (inputGrad) for (r = 0; r < m; r++) dE[eu + r] += W[wo + r] * d;
        }
      }
      this.update();
      this.step += 1;
    }
    return this;
  };

  /** One AdamW step of torch.optim.AdamW on the gradients in params[].g (clipped first). */
  OneLayerTrainer.prototype.update = function () {
    var ps = this.params, t = this.step + 1, lr = lrAt(this.step, this.lr, this.steps, this.schedule);
    var b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = this.weightDecay, scale = 1;
    if (this.gradClip) {  // torch.nn.utils.clip_grad_norm_: the norm of all gradients together
      var ss = 0;
      ps.forEach(function (q) { for (var i = 0; i < q.g.length; i++) { var x = f32(q.g[i]); ss += x * x; } });
      scale = Math.min(1, this.gradClip / (Math.sqrt(ss) + 1e-6));
    }
    var bc1 = 1 - Math.pow(b1, t), bc2s = Math.sqrt(1 - Math.pow(b2, t)), stepSize = lr / bc1;
    ps.forEach(function (q) {
      var w = q.w, g = q.g, m1 = q.m1, m2 = q.m2, decay = q.decay ? 1 - lr * wd : 1;
      for (var i = 0; i < w.length; i++) {
        var gi = f32(f32(g[i]) * scale), p = decay === 1 ? w[i] : f32(w[i] * decay);
        m1[i] = f32(m1[i] + (gi - m1[i]) * (1 - b1));
        m2[i] = f32(b2 * m2[i] + (1 - b2) * gi * gi);
        w[i] = f32(p - stepSize * m1[i] / (Math.sqrt(m2[i]) / bc2s + eps));
      }
    });
  };

  /** The edge logits (measures.edge_logits): L[u * n + v] = H[v] . (W E[u] + b) over the node
   *  tokens, eval mode. bias false: without b (the bilinear form E W^T E^T of margins.bilinear). */
  OneLayerTrainer.prototype.edgeLogits = function (bias) {
    var n = this.n, m = this.m, H = this.H, L = new Float64Array(n * n), h = this.hidden();
    if (bias === false) for (var u0 = 0; u0 < n; u0++) for (var o0 = 0; o0 < m; o0++) h[u0 * m + o0] -= this.b[o0];
    for (var u = 0; u < n; u++) for (var v = 0; v < n; v++) {
      var s = 0;
      for (var o = 0; o < m; o++) s += H[v * m + o] * h[u * m + o];
      L[u * n + v] = s;
    }
    return L;
  };

  // ------------------------------------------------------------------ the one-layer Transformer

  /** erf(x) in float64 (torch's exact GELU needs it; JavaScript has none): its Taylor series
   *  below |x| = 2.5, the continued fraction of erfc above, both to about 1e-14. */
  function erf(x) {
    var ax = Math.abs(x), s, k;
    if (ax < 2.5) {
      var term = ax, sum = ax, x2 = ax * ax;
      for (k = 1; k < 80; k++) {
        term *= -x2 / k;
        sum += term / (2 * k + 1);
        if (Math.abs(term) < 1e-17) break;
      }
      s = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      var t = ax;
      for (k = 80; k >= 1; k--) t = ax + (k / 2) / t;
      s = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / t;
    }
    return x < 0 ? -s : s;
  }

  /** The standard normal CDF Phi(x): nn.GELU() (exact) is x Phi(x), its derivative Phi(x) + x phi(x). */
  function normalCdf(x) { return 0.5 * (1 + erf(x / Math.SQRT2)); }

  /** y = W x + b, torch's Linear layout (W: nout x nin, row = output; b null: no bias). */
  function linearForward(W, b, x, nin, nout, y) {
    for (var o = 0; o < nout; o++) {
      var wo = o * nin, s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;  // four chains: faster in V8
      for (; k + 3 < nin; k += 4) {
        s0 += W[wo + k] * x[k]; s1 += W[wo + k + 1] * x[k + 1];
        s2 += W[wo + k + 2] * x[k + 2]; s3 += W[wo + k + 3] * x[k + 3];
      }
      for (; k < nin; k++) s0 += W[wo + k] * x[k];
      y[o] = (s0 + s1) + (s2 + s3) + (b ? b[o] : 0);
    }
  }

  /** The backward of linearForward: dW += dy x^T, db += dy, dx += W^T dy (db, dx null: not wanted). */
  function linearBackward(W, x, dy, nin, nout, dW, db, dx) {
    for (var o = 0; o < nout; o++) {
      var d = dy[o], wo = o * nin, k;
      if (d === 0) continue;
      if (db) db[o] += d;
      for (k = 0; k < nin; k++) dW[wo + k] += d * x[k];
      if (dx) for (k = 0; k < nin; k++) dx[k] += W[wo + k] * d;
    }
  }

  /** nn.LayerNorm(m) (eps 1e-5, biased variance): out = xhat w + b. Keeps xhat; returns 1 / sigma. */
  function layerNorm(x, m, w, b, xhat, out) {
    var mu = 0, v = 0, o;
    for (o = 0; o < m; o++) mu += x[o];
    mu /= m;
    for (o = 0; o < m; o++) v += (x[o] - mu) * (x[o] - mu);
    var rstd = 1 / Math.sqrt(v / m + 1e-5);
    for (o = 0; o < m; o++) { xhat[o] = (x[o] - mu) * rstd; out[o] = xhat[o] * w[o] + b[o]; }
    return rstd;
  }

  /** The backward of layerNorm: dw += dy xhat, db += dy, dx += (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sigma. */
  function layerNormBackward(dy, xhat, rstd, m, w, dw, db, dx) {
    var s1 = 0, s2 = 0, o;
    for (o = 0; o < m; o++) {
      var dh = dy[o] * w[o];
      dw[o] += dy[o] * xhat[o]; db[o] += dy[o];
      s1 += dh; s2 += dh * xhat[o];
    }
    s1 /= m; s2 /= m;
    for (o = 0; o < m; o++) dx[o] += rstd * (dy[o] * w[o] - s1 - xhat[o] * s2);
  }

  /** The tensors of a trainer, in torch's parameter order, from a table of [state-dict name, rows,
   *  cols (0: a vector)] and the initial values by name; weight decay on the matrices only (train.train). */
  function paramTable(shapes, init) {
    var byName = {}, list = shapes.map(function (s) {
      var size = s[1] * (s[2] || 1), w = Float32Array.from(init[s[0]]);
      if (w.length !== size) throw new Error(s[0] + " must hold " + size + " numbers, got " + w.length);
      var q = { name: s[0], w: w, g: new Float64Array(size), m1: new Float32Array(size), m2: new Float32Array(size),
                decay: s[2] > 0 };
      byName[s[0]] = q;
      return q;
    });
    return { list: list, byName: byName };
  }

  /** models.GPT with one layer and one head (GPTConfig(n_layers=1, n_heads=1, block_size=2), learned
   *  positions, pre-LayerNorm, 4x GELU MLP, no dropout) as the playground trains it: [EDGE] u -> v
   *  (runs.edge.edge_run), logits H f over the whole vocabulary, H = E when tied. Rows: [name, rows, cols]. */
  function transformerShapes(V, m, tied) {
    var s = [["wte.weight", V, m], ["wpe.weight", 2, m],
      ["blocks.0.ln_attn.weight", m, 0], ["blocks.0.ln_attn.bias", m, 0],
      ["blocks.0.attn.qkv.weight", 3 * m, m], ["blocks.0.attn.qkv.bias", 3 * m, 0],
      ["blocks.0.attn.proj.weight", m, m], ["blocks.0.attn.proj.bias", m, 0],
      ["blocks.0.ln_mlp.weight", m, 0], ["blocks.0.ln_mlp.bias", m, 0],
      ["blocks.0.mlp.net.0.weight", 4 * m, m], ["blocks.0.mlp.net.0.bias", 4 * m, 0],
      ["blocks.0.mlp.net.2.weight", m, 4 * m], ["blocks.0.mlp.net.2.bias", m, 0],
      ["ln_f.weight", m, 0], ["ln_f.bias", m, 0]];
    if (!tied) s.push(["lm_head.weight", V, m]);
    return s;
  }

  /** The targets of each source node: outs[u] = [v, ...] over the pairs. */
  function targetsOf(n, pairs) {
    var outs = [];
    for (var u = 0; u < n; u++) outs.push([]);
    pairs.forEach(function (p) { outs[p[0]].push(p[1]); });
    return outs;
  }

  /** The full-batch trainer shared by the page's sequence models: opts n, width, pairs, init (initial
   *  tensors by state-dict name), tied, lr, steps (the schedule's length), schedule, weightDecay,
   *  gradClip; the model's shapes(V, m, tied). Its loss is the mean cross-entropy over the pairs of
   *  the logits after [EDGE] u; AdamW as OneLayerTrainer's. */
  function sequenceTrainer(tr, opts, shapes) {
    var n = opts.n, m = opts.width, V = n + N_SPECIALS;
    tr.n = n; tr.m = m; tr.vocab = V; tr.pairs = opts.pairs; tr.outs = targetsOf(n, opts.pairs);
    tr.tied = opts.tied !== false;
    tr.lr = opts.lr; tr.steps = opts.steps; tr.schedule = opts.schedule || "cosine";
    tr.weightDecay = opts.weightDecay || 0;
    tr.gradClip = opts.gradClip === undefined ? 1.0 : opts.gradClip;
    var t = paramTable(shapes(V, m, tr.tied), opts.init);
    tr.params = t.list; tr.P = t.byName;
    tr.E = tr.P["wte.weight"].w;
    tr.head = tr.tied ? tr.P["wte.weight"] : tr.P["lm_head.weight"];
    tr.step = 0;
    tr.losses = [];  // mean cross-entropy at each step, of the weights the step starts from
    tr._z = new Float64Array(V); tr._dz = new Float64Array(V); tr._df = new Float64Array(m);
  }

  /** Logits z = H f and the loss of u's pairs (sum of lse - z[v]); dz = (softmax - one-hots) / N. */
  function headLoss(tr, u, f) {
    var V = tr.vocab, m = tr.m, H = tr.head.w, z = tr._z, dz = tr._dz, outs = tr.outs[u], N = tr.pairs.length;
    var mx = -Infinity, sum = 0, j, o, loss = 0;
    for (j = 0; j < V; j++) {
      var s = 0, r = j * m;
      for (o = 0; o < m; o++) s += H[r + o] * f[o];
      z[j] = s; if (s > mx) mx = s;
    }
    for (j = 0; j < V; j++) sum += Math.exp(z[j] - mx);
    var lse = mx + Math.log(sum);
    for (j = 0; j < V; j++) dz[j] = outs.length * Math.exp(z[j] - lse) / N;
    outs.forEach(function (v) { loss += lse - z[v]; dz[v] -= 1 / N; });
    return loss;
  }

  /** The backward of the head: dH += dz f^T; returns df = H^T dz. */
  function headBackward(tr, f) {
    var V = tr.vocab, m = tr.m, H = tr.head.w, dH = tr.head.g, dz = tr._dz, df = tr._df, j, o;
    df.fill(0);
    for (j = 0; j < V; j++) {
      var d = dz[j], r = j * m;
      for (o = 0; o < m; o++) { dH[r + o] += d * f[o]; df[o] += d * H[r + o]; }
    }
    return df;
  }

  /** Edge logits (measures.edge_logits) of a sequence trainer: L[u * n + v] = H[v] . f(u), eval mode. */
  function sequenceEdgeLogits(tr) {
    var n = tr.n, m = tr.m, H = tr.head.w, L = new Float64Array(n * n);
    tr.prefix();
    for (var u = 0; u < n; u++) {
      var f = tr.forward(u);
      for (var v = 0; v < n; v++) {
        var s = 0;
        for (var o = 0; o < m; o++) s += H[v * m + o] * f[o];
        L[u * n + v] = s;
      }
    }
    return L;
  }

  /** Take k optimiser steps: gradients() then OneLayerTrainer's AdamW update. */
  function sequenceAdvance(k) {
    for (var it = 0; it < k; it++) {
      this.losses.push(f32(this.gradients()));
      this.update();
      this.step += 1;
    }
    return this;
  }

  function vec(m) { return new Float64Array(m); }

  /** The playground's Transformer trained in the page (see transformerShapes and sequenceTrainer).
   *  [EDGE] sits at position 0 of every sequence and attends to itself alone, so its key and value
   *  are computed once (prefix); position 1 depends on u alone, so each node is run once and its
   *  logits serve all of u's pairs. Activations in float64, weights stored in float32. */
  function TransformerTrainer(opts) {
    sequenceTrainer(this, opts, transformerShapes);
    var m = this.m;
    this.c0 = { x: vec(m), xhat: vec(m), a: vec(m), qkv: vec(3 * m), rstd: 0 };
    this.c = { x: vec(m), xhat1: vec(m), a1: vec(m), qkv: vec(3 * m), p0: 0, p1: 0, y: vec(m), t: vec(m),
               xa: vec(m), xhat2: vec(m), a2: vec(m), h: vec(4 * m), cdf: vec(4 * m), g: vec(4 * m), xb: vec(m), xhatf: vec(m),
               f: vec(m), rstd1: 0, rstd2: 0, rstdf: 0 };
    this.d = { xb: vec(m), g: vec(4 * m), h: vec(4 * m), a2: vec(m), xa: vec(m), y: vec(m), qkv: vec(3 * m),
               a1: vec(m), x: vec(m), k0: vec(m), v0: vec(m) };
  }

  /** Position 0 ([EDGE] + wpe[0]): its LayerNorm and its query, key and value. */
  TransformerTrainer.prototype.prefix = function () {
    var P = this.P, m = this.m, c = this.c0, E = this.E, pos = P["wpe.weight"].w, e = this.n * m;
    for (var o = 0; o < m; o++) c.x[o] = E[e + o] + pos[o];
    c.rstd = layerNorm(c.x, m, P["blocks.0.ln_attn.weight"].w, P["blocks.0.ln_attn.bias"].w, c.xhat, c.a);
    linearForward(P["blocks.0.attn.qkv.weight"].w, P["blocks.0.attn.qkv.bias"].w, c.a, m, 3 * m, c.qkv);
  };

  /** Position 1 after [EDGE] u, given prefix(): the final hidden state f (this.c keeps the rest). */
  TransformerTrainer.prototype.forward = function (u) {
    var P = this.P, m = this.m, c = this.c, c0 = this.c0, E = this.E, pos = P["wpe.weight"].w, o, j;
    for (o = 0; o < m; o++) c.x[o] = E[u * m + o] + pos[m + o];
    c.rstd1 = layerNorm(c.x, m, P["blocks.0.ln_attn.weight"].w, P["blocks.0.ln_attn.bias"].w, c.xhat1, c.a1);
    linearForward(P["blocks.0.attn.qkv.weight"].w, P["blocks.0.attn.qkv.bias"].w, c.a1, m, 3 * m, c.qkv);
    var q = c.qkv, kv = c0.qkv, s0 = 0, s1 = 0, sc = 1 / Math.sqrt(m);  // causal: u sees [EDGE] and itself
    for (o = 0; o < m; o++) { s0 += q[o] * kv[m + o]; s1 += q[o] * q[m + o]; }
    s0 *= sc; s1 *= sc;
    var mx = Math.max(s0, s1), e0 = Math.exp(s0 - mx), e1 = Math.exp(s1 - mx);
    c.p0 = e0 / (e0 + e1); c.p1 = e1 / (e0 + e1);
    for (o = 0; o < m; o++) c.y[o] = c.p0 * kv[2 * m + o] + c.p1 * q[2 * m + o];
    linearForward(P["blocks.0.attn.proj.weight"].w, P["blocks.0.attn.proj.bias"].w, c.y, m, m, c.t);
    for (o = 0; o < m; o++) c.xa[o] = c.x[o] + c.t[o];  // the attention's residual
    c.rstd2 = layerNorm(c.xa, m, P["blocks.0.ln_mlp.weight"].w, P["blocks.0.ln_mlp.bias"].w, c.xhat2, c.a2);
    linearForward(P["blocks.0.mlp.net.0.weight"].w, P["blocks.0.mlp.net.0.bias"].w, c.a2, m, 4 * m, c.h);
    for (j = 0; j < 4 * m; j++) { c.cdf[j] = normalCdf(c.h[j]); c.g[j] = c.h[j] * c.cdf[j]; }  // GELU
    linearForward(P["blocks.0.mlp.net.2.weight"].w, P["blocks.0.mlp.net.2.bias"].w, c.g, 4 * m, m, c.t);
    for (o = 0; o < m; o++) c.xb[o] = c.xa[o] + c.t[o];  // the MLP's residual
    c.rstdf = layerNorm(c.xb, m, P["ln_f.weight"].w, P["ln_f.bias"].w, c.xhatf, c.f);
    return c.f;
  };

  /** The mean loss over the pairs at the current weights; fills every params[].g with its gradient. */
  TransformerTrainer.prototype.gradients = function () {
    var P = this.P, m = this.m, n = this.n, c = this.c, c0 = this.c0, d = this.d, loss = 0, o, j, u;
    var sc = 1 / Math.sqrt(m), g = function (name) { return P[name].g; }, w = function (name) { return P[name].w; };
    this.params.forEach(function (q) { q.g.fill(0); });
    d.k0.fill(0); d.v0.fill(0);
    this.prefix();
    var kv = c0.qkv, dE = g("wte.weight"), dpos = g("wpe.weight");
    for (u = 0; u < n; u++) {
      if (!this.outs[u].length) continue;
      var f = this.forward(u);
      loss += headLoss(this, u, f);
      var df = headBackward(this, f);
      d.xb.fill(0);
      layerNormBackward(df, c.xhatf, c.rstdf, m, w("ln_f.weight"), g("ln_f.weight"), g("ln_f.bias"), d.xb);
      d.g.fill(0);
      linearBackward(w("blocks.0.mlp.net.2.weight"), c.g, d.xb, 4 * m, m, g("blocks.0.mlp.net.2.weight"),
                     g("blocks.0.mlp.net.2.bias"), d.g);
      for (j = 0; j < 4 * m; j++) d.h[j] = d.g[j] * (c.cdf[j] + c.h[j] * Math.exp(-0.5 * c.h[j] * c.h[j]) / Math.sqrt(2 * Math.PI));
      d.a2.fill(0);
      linearBackward(w("blocks.0.mlp.net.0.weight"), c.a2, d.h, m, 4 * m, g("blocks.0.mlp.net.0.weight"),
                     g("blocks.0.mlp.net.0.bias"), d.a2);
      d.xa.set(d.xb);  // the MLP's residual
      layerNormBackward(d.a2, c.xhat2, c.rstd2, m, w("blocks.0.ln_mlp.weight"), g("blocks.0.ln_mlp.weight"),
                        g("blocks.0.ln_mlp.bias"), d.xa);
      d.y.fill(0);
      linearBackward(w("blocks.0.attn.proj.weight"), c.y, d.xa, m, m, g("blocks.0.attn.proj.weight"),
                     g("blocks.0.attn.proj.bias"), d.y);
      var q = c.qkv, dp0 = 0, dp1 = 0;  // attention over [EDGE] (0) and u (1)
      for (o = 0; o < m; o++) { dp0 += d.y[o] * kv[2 * m + o]; dp1 += d.y[o] * q[2 * m + o]; }
      var pbar = c.p0 * dp0 + c.p1 * dp1, ds0 = c.p0 * (dp0 - pbar) * sc, ds1 = c.p1 * (dp1 - pbar) * sc;
      for (o = 0; o < m; o++) {
        d.qkv[o] = ds0 * kv[m + o] + ds1 * q[m + o];  // dq
        d.qkv[m + o] = ds1 * q[o];  // dk of u
        d.qkv[2 * m + o] = c.p1 * d.y[o];  // dv of u
        d.k0[o] += ds0 * q[o]; d.v0[o] += c.p0 * d.y[o];
      }
      d.a1.fill(0);
      linearBackward(w("blocks.0.attn.qkv.weight"), c.a1, d.qkv, m, 3 * m, g("blocks.0.attn.qkv.weight"),
                     g("blocks.0.attn.qkv.bias"), d.a1);
      d.x.set(d.xa);  // the attention's residual
      layerNormBackward(d.a1, c.xhat1, c.rstd1, m, w("blocks.0.ln_attn.weight"), g("blocks.0.ln_attn.weight"),
                        g("blocks.0.ln_attn.bias"), d.x);
      for (o = 0; o < m; o++) { dE[u * m + o] += d.x[o]; dpos[m + o] += d.x[o]; }
    }
    d.qkv.fill(0);  // position 0: only its key and value reach the loss
    for (o = 0; o < m; o++) { d.qkv[m + o] = d.k0[o]; d.qkv[2 * m + o] = d.v0[o]; }
    d.a1.fill(0); d.x.fill(0);
    linearBackward(w("blocks.0.attn.qkv.weight"), c0.a, d.qkv, m, 3 * m, g("blocks.0.attn.qkv.weight"),
                   g("blocks.0.attn.qkv.bias"), d.a1);
    layerNormBackward(d.a1, c0.xhat, c0.rstd, m, w("blocks.0.ln_attn.weight"), g("blocks.0.ln_attn.weight"),
                      g("blocks.0.ln_attn.bias"), d.x);
    for (o = 0; o < m; o++) { dE[n * m + o] += d.x[o]; dpos[o] += d.x[o]; }
    return loss / this.pairs.length;
  };

  TransformerTrainer.prototype.advance = sequenceAdvance;
  TransformerTrainer.prototype.update = OneLayerTrainer.prototype.update;
  TransformerTrainer.prototype.edgeLogits = function () { return sequenceEdgeLogits(this); };

  // ------------------------------------------------------------------ the one-layer Mamba

  function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }

  /** F.silu: x sigmoid(x). */
  function silu(x) { return x * sigmoid(x); }

  /** The derivative of silu: sigmoid(x) (1 + x (1 - sigmoid(x))). */
  function siluGrad(x) { var s = sigmoid(x); return s * (1 + x * (1 - s)); }

  /** F.softplus (beta 1, threshold 20: the identity above 20). */
  function softplus(x) { return x > 20 ? x : Math.log1p(Math.exp(x)); }

  /** The derivative of softplus: sigmoid(x), 1 above the threshold. */
  function softplusGrad(x) { return x > 20 ? 1 : sigmoid(x); }

  /** The playground's Mamba sizes for width m (runs.playground._sequence_model: d_state N 8, expand 2;
   *  MambaConfig's d_conv K 4; mambapy's dt_rank R = ceil(m / 16)); opts may set dState, expand, dConv. */
  function mambaDims(m, opts) {
    var o = opts || {}, K = o.dConv || 4;
    if (K < 2) throw new Error("the page's Mamba needs a convolution of at least 2 taps, got " + K);
    return { N: o.dState || 8, ED: (o.expand || 2) * m, K: K, R: Math.ceil(m / 16) };
  }

  /** models.Mamba with one layer as the playground trains it (MambaConfig(n_layers=1, d_state=8, expand=2),
   *  the pure-PyTorch mixer of mambapy: x + MambaBlock(LayerNorm(x)), final LayerNorm, tied head),
   *  on [EDGE] u -> v. Rows: [state-dict name, rows, cols]; conv1d.weight (ED, 1, K) as ED x K. */
  function mambaShapes(V, m, tied, dims) {
    var d = dims || mambaDims(m), ED = d.ED, mx = "layers.0.mixer.";
    var s = [["wte.weight", V, m], ["layers.0.norm.weight", m, 0], ["layers.0.norm.bias", m, 0],
      [mx + "A_log", ED, d.N], [mx + "D", ED, 0], [mx + "in_proj.weight", 2 * ED, m],
      [mx + "conv1d.weight", ED, d.K], [mx + "conv1d.bias", ED, 0], [mx + "x_proj.weight", d.R + 2 * d.N, ED],
      [mx + "dt_proj.weight", ED, d.R], [mx + "dt_proj.bias", ED, 0], [mx + "out_proj.weight", m, ED],
      ["norm_f.weight", m, 0], ["norm_f.bias", m, 0]];
    if (!tied) s.push(["lm_head.weight", V, m]);
    return s;
  }

  /** One position's activations of the Mamba layer (MambaTrainer). */
  function mambaCache(m, d) {
    return { x: vec(m), xhat: vec(m), a: vec(m), xz: vec(2 * d.ED), c: vec(d.ED), s: vec(d.ED),
             dbc: vec(d.R + 2 * d.N), p: vec(d.ED), delta: vec(d.ED), h: vec(d.ED * d.N), dA: vec(d.ED * d.N),
             y: vec(d.ED), sz: vec(d.ED), g: vec(d.ED), out: vec(m), xr: vec(m), xhatf: vec(m), f: vec(m),
             rstd: 0, rstdf: 0 };
  }

  /** The playground's Mamba trained in the page (see mambaShapes and sequenceTrainer); opts as
   *  TransformerTrainer's, plus dState, expand, dConv (mambaDims). A sequence is [EDGE] u, so the scan
   *  has two steps: position 0 ([EDGE]) is the same in every sequence and its state
   *  h_0 = delta_0 B_0 x_0 is computed once (prefix); position 1 reads it through
   *  h_1 = exp(delta_1 A) h_0 + delta_1 B_1 x_1 and its convolution reads position 0's input
   *  (taps K-2 and K-1), so each node is run once and its logits serve all of u's pairs; the
   *  gradients reaching position 0 are summed over the nodes and taken back through it once.
   *  Activations in float64, weights stored in float32. */
  function MambaTrainer(opts) {
    var dims = mambaDims(opts.width, opts);
    sequenceTrainer(this, opts, function (V, m, tied) { return mambaShapes(V, m, tied, dims); });
    var m = this.m, ED = dims.ED, N = dims.N;
    this.dims = dims;
    this.A = vec(ED * N);
    this.c0 = mambaCache(m, dims); this.c = mambaCache(m, dims);
    this.d = { xr: vec(m), g: vec(ED), s: vec(ED), p: vec(ED), dbc: vec(dims.R + 2 * N), xz: vec(2 * ED), a: vec(m),
               x: vec(m), h0: vec(ED * N), xi0: vec(ED) };
  }

  /** A = -exp(A_log), then position 0 ([EDGE]): its LayerNorm, the x half of in_proj, the
   *  convolution (tap K-1 only), SiLU, x_proj, delta and the state h_0. */
  MambaTrainer.prototype.prefix = function () {
    var P = this.P, m = this.m, dm = this.dims, ED = dm.ED, N = dm.N, K = dm.K, R = dm.R, c = this.c0, mx = "layers.0.mixer.";
    var Alog = P[mx + "A_log"].w, cw = P[mx + "conv1d.weight"].w, cb = P[mx + "conv1d.bias"].w, i, k;
    for (k = 0; k < ED * N; k++) this.A[k] = -Math.exp(Alog[k]);
    for (i = 0; i < m; i++) c.x[i] = this.E[this.n * m + i];
    c.rstd = layerNorm(c.x, m, P["layers.0.norm.weight"].w, P["layers.0.norm.bias"].w, c.xhat, c.a);
    linearForward(P[mx + "in_proj.weight"].w, null, c.a, m, ED, c.xz);  // z of position 0 never reaches the loss
    for (i = 0; i < ED; i++) { c.c[i] = cw[i * K + K - 1] * c.xz[i] + cb[i]; c.s[i] = silu(c.c[i]); }
    linearForward(P[mx + "x_proj.weight"].w, null, c.s, ED, R + 2 * N, c.dbc);
    linearForward(P[mx + "dt_proj.weight"].w, P[mx + "dt_proj.bias"].w, c.dbc, R, ED, c.p);
    for (i = 0; i < ED; i++) {
      c.delta[i] = softplus(c.p[i]);
      for (k = 0; k < N; k++) c.h[i * N + k] = c.delta[i] * c.s[i] * c.dbc[R + k];  // delta_0 B_0 x_0
    }
  };

  /** Position 1 after [EDGE] u, given prefix(): the final hidden state f (this.c keeps the rest). */
  MambaTrainer.prototype.forward = function (u) {
    var P = this.P, m = this.m, dm = this.dims, ED = dm.ED, N = dm.N, K = dm.K, R = dm.R, c = this.c, c0 = this.c0;
    var mx = "layers.0.mixer.", cw = P[mx + "conv1d.weight"].w, cb = P[mx + "conv1d.bias"].w, D = P[mx + "D"].w;
    var A = this.A, i, k;
    for (i = 0; i < m; i++) c.x[i] = this.E[u * m + i];
    c.rstd = layerNorm(c.x, m, P["layers.0.norm.weight"].w, P["layers.0.norm.bias"].w, c.xhat, c.a);
    linearForward(P[mx + "in_proj.weight"].w, null, c.a, m, 2 * ED, c.xz);
    for (i = 0; i < ED; i++) {  // the causal depthwise convolution over [EDGE] and u, then SiLU
      c.c[i] = cw[i * K + K - 2] * c0.xz[i] + cw[i * K + K - 1] * c.xz[i] + cb[i];
      c.s[i] = silu(c.c[i]);
    }
    linearForward(P[mx + "x_proj.weight"].w, null, c.s, ED, R + 2 * N, c.dbc);
    linearForward(P[mx + "dt_proj.weight"].w, P[mx + "dt_proj.bias"].w, c.dbc, R, ED, c.p);
    for (i = 0; i < ED; i++) {
      var delta = softplus(c.p[i]), bx = delta * c.s[i], y = D[i] * c.s[i];  // D skip
      c.delta[i] = delta;
      for (k = 0; k < N; k++) {  // h_1 = exp(delta_1 A) h_0 + delta_1 B_1 x_1; y = C_1 h_1
        var j = i * N + k;
        c.dA[j] = Math.exp(delta * A[j]);
        c.h[j] = c.dA[j] * c0.h[j] + bx * c.dbc[R + k];
        y += c.h[j] * c.dbc[R + N + k];
      }
      c.y[i] = y; c.sz[i] = silu(c.xz[ED + i]); c.g[i] = y * c.sz[i];  // the gate SiLU(z)
    }
    linearForward(P[mx + "out_proj.weight"].w, null, c.g, ED, m, c.out);
    for (i = 0; i < m; i++) c.xr[i] = c.x[i] + c.out[i];  // the residual
    c.rstdf = layerNorm(c.xr, m, P["norm_f.weight"].w, P["norm_f.bias"].w, c.xhatf, c.f);
    return c.f;
  };

  /** The mean loss over the pairs at the current weights; fills every params[].g with its gradient. */
  MambaTrainer.prototype.gradients = function () {
    var P = this.P, m = this.m, n = this.n, dm = this.dims, ED = dm.ED, N = dm.N, K = dm.K, R = dm.R;
    var c = this.c, c0 = this.c0, d = this.d, A = this.A, mx = "layers.0.mixer.", loss = 0, i, k, j, u;
    var g = function (name) { return P[name].g; }, w = function (name) { return P[name].w; };
    var cw = w(mx + "conv1d.weight"), D = w(mx + "D"), gcw = g(mx + "conv1d.weight"), gcb = g(mx + "conv1d.bias");
    var gAlog = g(mx + "A_log"), gD = g(mx + "D"), dE = g("wte.weight");
    this.params.forEach(function (q) { q.g.fill(0); });
    d.h0.fill(0); d.xi0.fill(0);
    this.prefix();
    for (u = 0; u < n; u++) {
      if (!this.outs[u].length) continue;
      var f = this.forward(u);
      loss += headLoss(this, u, f);
      var df = headBackward(this, f);
      d.xr.fill(0);
      layerNormBackward(df, c.xhatf, c.rstdf, m, w("norm_f.weight"), g("norm_f.weight"), g("norm_f.bias"), d.xr);
      d.g.fill(0);
      linearBackward(w(mx + "out_proj.weight"), c.g, d.xr, ED, m, g(mx + "out_proj.weight"), null, d.g);
      d.dbc.fill(0);
      for (i = 0; i < ED; i++) {
        var dy = d.g[i] * c.sz[i], bx = c.delta[i] * c.s[i], dd = 0, dsb = 0;
        d.xz[ED + i] = d.g[i] * c.y[i] * siluGrad(c.xz[ED + i]);  // dz
        gD[i] += dy * c.s[i];
        for (k = 0; k < N; k++) {
          j = i * N + k;
          var dh = dy * c.dbc[R + N + k], ha = dh * c0.h[j] * c.dA[j];  // ha: d/d(delta_1 A)
          d.dbc[R + N + k] += dy * c.h[j];  // dC
          d.dbc[R + k] += dh * bx;  // dB
          d.h0[j] += dh * c.dA[j];  // on to position 0
          gAlog[j] += ha * c.delta[i] * A[j];  // dA_log = dA * A
          dd += ha * A[j] + dh * c.s[i] * c.dbc[R + k];
          dsb += dh * c.dbc[R + k];
        }
        d.p[i] = dd * softplusGrad(c.p[i]);
        d.s[i] = dy * D[i] + c.delta[i] * dsb;
      }
      linearBackward(w(mx + "dt_proj.weight"), c.dbc, d.p, R, ED, g(mx + "dt_proj.weight"), g(mx + "dt_proj.bias"), d.dbc);
      linearBackward(w(mx + "x_proj.weight"), c.s, d.dbc, ED, R + 2 * N, g(mx + "x_proj.weight"), null, d.s);
      for (i = 0; i < ED; i++) {
        var dc = d.s[i] * siluGrad(c.c[i]);
        gcw[i * K + K - 2] += dc * c0.xz[i]; gcw[i * K + K - 1] += dc * c.xz[i]; gcb[i] += dc;
        d.xz[i] = dc * cw[i * K + K - 1]; d.xi0[i] += dc * cw[i * K + K - 2];
      }
      d.a.fill(0);
      linearBackward(w(mx + "in_proj.weight"), c.a, d.xz, m, 2 * ED, g(mx + "in_proj.weight"), null, d.a);
      d.x.set(d.xr);  // the residual
      layerNormBackward(d.a, c.xhat, c.rstd, m, w("layers.0.norm.weight"), g("layers.0.norm.weight"),
                        g("layers.0.norm.bias"), d.x);
      for (i = 0; i < m; i++) dE[u * m + i] += d.x[i];
    }
    this.mambaPrefixBackward();
    return loss / this.pairs.length;
  };

  /** Position 0's share of the gradients: the state h_0 = delta_0 B_0 x_0 and the convolution's
   *  input x_0 (their gradients d.h0 and d.xi0 summed over the nodes) back to [EDGE]'s embedding. */
  MambaTrainer.prototype.mambaPrefixBackward = function () {
    var P = this.P, m = this.m, dm = this.dims, ED = dm.ED, N = dm.N, K = dm.K, R = dm.R, c = this.c0, d = this.d;
    var mx = "layers.0.mixer.", g = function (name) { return P[name].g; }, w = function (name) { return P[name].w; };
    var cw = w(mx + "conv1d.weight"), gcw = g(mx + "conv1d.weight"), gcb = g(mx + "conv1d.bias"), i, k;
    d.dbc.fill(0);
    for (i = 0; i < ED; i++) {
      var dd = 0, dsb = 0, bx = c.delta[i] * c.s[i];
      for (k = 0; k < N; k++) {
        var dh = d.h0[i * N + k];
        dd += dh * c.s[i] * c.dbc[R + k]; dsb += dh * c.dbc[R + k]; d.dbc[R + k] += dh * bx;
      }
      d.p[i] = dd * softplusGrad(c.p[i]);
      d.s[i] = c.delta[i] * dsb;
    }
    linearBackward(w(mx + "dt_proj.weight"), c.dbc, d.p, R, ED, g(mx + "dt_proj.weight"), g(mx + "dt_proj.bias"), d.dbc);
    linearBackward(w(mx + "x_proj.weight"), c.s, d.dbc, ED, R + 2 * N, g(mx + "x_proj.weight"), null, d.s);
    for (i = 0; i < ED; i++) {
      var dc = d.s[i] * siluGrad(c.c[i]);
      gcw[i * K + K - 1] += dc * c.xz[i]; gcb[i] += dc;
      d.xz[i] = dc * cw[i * K + K - 1] + d.xi0[i]; d.xz[ED + i] = 0;
    }
    d.a.fill(0); d.x.fill(0);
    linearBackward(w(mx + "in_proj.weight"), c.a, d.xz, m, 2 * ED, g(mx + "in_proj.weight"), null, d.a);
    layerNormBackward(d.a, c.xhat, c.rstd, m, w("layers.0.norm.weight"), g("layers.0.norm.weight"),
                      g("layers.0.norm.bias"), d.x);
    for (i = 0; i < m; i++) g("wte.weight")[this.n * m + i] += d.x[i];
  };

  MambaTrainer.prototype.advance = sequenceAdvance;
  MambaTrainer.prototype.update = OneLayerTrainer.prototype.update;
  MambaTrainer.prototype.edgeLogits = function () { return sequenceEdgeLogits(this); };

  // ------------------------------------------------------------------ edge measures

  /** Neighbour sets (arrays of booleans, n*n) of an undirected graph; withSelf adds u ~ u. */
  function neighbourMask(n, edges, withSelf) {
    var a = new Uint8Array(n * n);
    edges.forEach(function (e) { a[e[0] * n + e[1]] = 1; a[e[1] * n + e[0]] = 1; });
    if (withSelf) for (var u = 0; u < n; u++) a[u * n + u] = 1;
    return a;
  }

  /** measures.top_k_recovery's top_k (%): for a node of degree k, its neighbours among its top-k logits / k. */
  function topKRecovery(L, n, edges, selfEdges) {
    var a = neighbourMask(n, edges, selfEdges), tot = 0, cnt = 0;
    for (var u = 0; u < n; u++) {
      var k = 0, v;
      for (v = 0; v < n; v++) k += a[u * n + v];
      if (!k) continue;
      var order = [];
      for (v = 0; v < n; v++) order.push(v);
      order.sort(function (x, y) { return L[u * n + y] - L[u * n + x]; });
      var hit = 0;
      for (v = 0; v < k; v++) hit += a[u * n + order[v]];
      tot += hit / k; cnt += 1;
    }
    return 100 * tot / cnt;
  }

  /** margins.skewed_logits: E W' E^T with W' keeping W's diagonal in the basis of E's right
   *  singular vectors. With E = U S Vh, s_i^2 lambda_i = u_i^T (E W E^T) u_i, so the skewed
   *  logits are U diag(u_i^T L0 u_i) U^T over the top min(n, m) eigenvectors u_i of E E^T
   *  (L0 = E W E^T: the bias-free logits). */
  function skewedLogits(E, L0, n, m) {
    var K = new Float64Array(n * n), u, v, o, i;
    for (u = 0; u < n; u++) for (v = u; v < n; v++) {
      var s = 0;
      for (o = 0; o < m; o++) s += E[u * m + o] * E[v * m + o];
      K[u * n + v] = s; K[v * n + u] = s;
    }
    var e = eigh(K, n), r = Math.min(n, m), S = new Float64Array(n * n);
    for (i = 0; i < r; i++) {
      var q = 0;
      for (u = 0; u < n; u++) for (v = 0; v < n; v++) q += e.vectors[u * n + i] * L0[u * n + v] * e.vectors[v * n + i];
      for (u = 0; u < n; u++) for (v = 0; v < n; v++) S[u * n + v] += q * e.vectors[u * n + i] * e.vectors[v * n + i];
    }
    return S;
  }

  /** margins.edge_margin (the paper's §5): the mean over nodes of the best neighbour's logit
   *  minus the best non-neighbour's (self excluded); and margins.top1_neighbour (%): the share
   *  of nodes whose best other node is a neighbour. */
  function edgeMargin(L, n, edges) {
    var a = neighbourMask(n, edges, false), tot = 0, cnt = 0, hits = 0, has = 0;
    for (var u = 0; u < n; u++) {
      var nb = -Infinity, non = -Infinity, best = -1, bestV = -Infinity;
      for (var v = 0; v < n; v++) {
        if (v === u) continue;
        var x = L[u * n + v];
        if (a[u * n + v]) nb = Math.max(nb, x); else non = Math.max(non, x);
        if (x > bestV) { bestV = x; best = v; }
      }
      if (nb > -Infinity && non > -Infinity) { tot += nb - non; cnt += 1; }
      if (nb > -Infinity) { has += 1; hits += a[u * n + best]; }
    }
    return { margin: cnt ? tot / cnt : NaN, top1: 100 * hits / Math.max(1, has) };
  }

  /** margins.margin_report of a tied one-layer network: the edge margin of its own logits
   *  (bias included) and of the skewed low-rank logits, and their top-1 (%). */
  function marginReport(tr, edges) {
    var n = tr.n, m = tr.m, orig = edgeMargin(tr.edgeLogits(true), n, edges);
    var sk = edgeMargin(skewedLogits(tr.E, tr.edgeLogits(false), n, m), n, edges);
    return { margin: orig.margin, top1: orig.top1, skewed_margin: sk.margin, skewed_top1: sk.top1 };
  }

  // ------------------------------------------------------------------ the page's one-layer runs

  /** A one-layer network (or its associative twin) for graph g drawn from the page's own seed:
   *  E (and an untied H) N(0, init_std^2), W N(0, 0.02^2), b = 0, as models.OneLayerNet draws them
   *  (from other random numbers: the page's seeds are its own). v: width, init_std, seed, tied,
   *  frozen, lr, steps, weight_decay, dropout, self_edges; recipe: schedule and gradClip. */
  function pageNet(g, v, recipe) {
    var V = g.n + N_SPECIALS, m = v.width, s = 4 * v.seed;
    return new OneLayerTrainer({
      n: g.n, width: m, pairs: edgePairs(g.n, g.edges, v.self_edges), tied: v.tied, frozen: v.frozen,
      E0: randomNormal(V * m, v.init_std, s + 1), W0: randomNormal(m * m, 0.02, s + 2), b0: new Float32Array(m),
      H0: v.tied ? null : randomNormal(V * m, v.init_std, s + 3), lr: v.lr, steps: v.steps,
      weightDecay: v.weight_decay || 0, dropout: v.dropout || 0, seed: s + 4,
      schedule: recipe.schedule, gradClip: recipe.gradClip,
    });
  }

  /** The playground's Transformer for graph g drawn from the page's own seed: the token embedding
   *  (and an untied head) N(0, init_std^2), positions and every linear map N(0, 0.02^2), biases 0,
   *  LayerNorm gains 1, as models.GPT draws them (from other random numbers: the page's seeds are
   *  its own). v and recipe: as pageNet's (no dropout: the playground trains without). */
  function pageTransformer(g, v, recipe) {
    var init = {};
    transformerShapes(g.n + N_SPECIALS, v.width, v.tied).forEach(function (s, k) {
      var size = s[1] * (s[2] || 1), emb = s[0] === "wte.weight" || s[0] === "lm_head.weight";
      init[s[0]] = s[2] ? randomNormal(size, emb ? v.init_std : 0.02, 32 * v.seed + k + 1)
        : new Float32Array(size).fill(/ln.*weight/.test(s[0]) ? 1 : 0);
    });
    return new TransformerTrainer({
      n: g.n, width: v.width, pairs: edgePairs(g.n, g.edges, v.self_edges), init: init, tied: v.tied, lr: v.lr,
      steps: v.steps, weightDecay: v.weight_decay || 0, schedule: recipe.schedule, gradClip: recipe.gradClip,
    });
  }

  /** A seeded U(lo, hi) float32 matrix: randomNormal's draws through the normal CDF. */
  function randomUniform(count, lo, hi, seed) {
    var z = randomNormal(count, 1, seed), out = new Float32Array(count);
    for (var i = 0; i < count; i++) out[i] = lo + (hi - lo) * normalCdf(z[i]);
    return out;
  }

  /** The playground's Mamba for graph g drawn from the page's own seed, as models.Mamba and
   *  mambapy's MambaBlock draw it (from other random numbers: the page's seeds are its own): the
   *  token embedding (and an untied head) N(0, init_std^2); in_proj, x_proj, out_proj and the
   *  convolution torch's default U(+-1/sqrt(fan_in)); dt_proj's weight U(+-dt_rank^-1/2) and its bias
   *  the inverse softplus of dt, log-uniform on [1e-3, 1e-1]; A_log = log(1..N) on every row;
   *  D = 1; LayerNorm gains 1, biases 0. v and recipe: as pageTransformer's. */
  function pageMamba(g, v, recipe) {
    var m = v.width, dm = mambaDims(m), init = {}, mx = "layers.0.mixer.";
    var bound = { "in_proj.weight": 1 / Math.sqrt(m), "x_proj.weight": 1 / Math.sqrt(dm.ED),
                  "out_proj.weight": 1 / Math.sqrt(dm.ED), "conv1d.weight": 1 / Math.sqrt(dm.K),
                  "conv1d.bias": 1 / Math.sqrt(dm.K), "dt_proj.weight": 1 / Math.sqrt(dm.R) };
    mambaShapes(g.n + N_SPECIALS, m, v.tied, dm).forEach(function (s, k) {
      var size = s[1] * (s[2] || 1), name = s[0], own = name.slice(mx.length), seed = 32 * v.seed + k + 1, i;
      if (name === "wte.weight" || name === "lm_head.weight") init[name] = randomNormal(size, v.init_std, seed);
      else if (bound[own]) init[name] = randomUniform(size, -bound[own], bound[own], seed);
      else if (own === "dt_proj.bias") {
        init[name] = randomUniform(size, Math.log(1e-3), Math.log(1e-1), seed).map(function (x) {
          var dt = Math.max(Math.exp(x), 1e-4);
          return dt + Math.log(-Math.expm1(-dt));
        });
      } else if (own === "A_log") {
        init[name] = new Float32Array(size);
        for (i = 0; i < size; i++) init[name][i] = Math.log(1 + i % dm.N);
      } else init[name] = new Float32Array(size).fill(own === "D" || /norm.*weight/.test(name) ? 1 : 0);
    });
    return new MambaTrainer({
      n: g.n, width: m, pairs: edgePairs(g.n, g.edges, v.self_edges), init: init, tied: v.tied, lr: v.lr,
      steps: v.steps, weightDecay: v.weight_decay || 0, schedule: recipe.schedule, gradClip: recipe.gradClip,
    });
  }

  /** The families the page retrains, and how it builds each. */
  var PAGE_TRAINERS = { net: pageNet, assoc: pageNet, gpt: pageTransformer, mamba: pageMamba };

  /** Multiply-adds of one training run (forward and backward) of a page family, for the page's
   *  time estimate: the Transformer runs each node once (qkv 3m^2, projection m^2, MLP 8m^2, head Vm),
   *  Mamba too (in_proj 2 ED m, out_proj ED m, x_proj and dt_proj ED (2R + 2N), the scan about 3 ED N,
   *  head Vm; mambaDims), the network each node's W E[u] (m^2) and each pair's head (Vm). */
  function trainingCost(model, n, pairs, m, steps) {
    var V = n + N_SPECIALS, d = mambaDims(m);
    if (model === "gpt") return 3 * steps * n * (12 * m * m + V * m);
    if (model === "mamba") return 3 * steps * n * (3 * d.ED * m + d.ED * (2 * d.R + 5 * d.N) + V * m);
    return 3 * steps * (n * m * m + pairs * V * m);
  }

  /** Train tr to each step of `points` (ascending), calling measure(tr) there (true: it drew)
   *  and report(step) between chunks, yielding to the browser at least every ~40 ms. Resolves false when
   *  alive() turns false (a newer retrain took over). */
  async function trainThrough(tr, points, measure, report, alive) {
    var last = now(), chunk = 1;
    for (var k = 0; k < points.length; k++) {
      while (tr.step < points[k]) {
        var t0 = now();
        tr.advance(Math.min(points[k] - tr.step, chunk));
        chunk = Math.max(1, Math.min(1000, Math.round(chunk * 30 / Math.max(now() - t0, 1))));  // ~30 ms a chunk
        if (now() - last > 40) {
          report(tr.step);
          await nextFrame();
          last = now();
          if (!alive()) return false;
        }
      }
      if (measure(tr)) {  // it drew: let the browser paint that before training on
        await nextFrame();
        last = now();
        if (!alive()) return false;
      }
    }
    return alive();
  }

  /** ~count steps in [1, steps], half evenly spaced and half log-spaced (playground.curve_points). */
  function curvePoints(steps, count) {
    var every = Math.max(1, Math.floor(steps / count)), seen = {}, out = [], k;
    for (k = every; k <= steps; k += every) seen[k] = true;
    for (k = 0; k < count; k++) seen[Math.round(Math.exp(Math.log(steps) * k / Math.max(1, count - 1)))] = true;
    seen[steps] = true;
    Object.keys(seen).forEach(function (s) { if (+s >= 1 && +s <= steps) out.push(+s); });
    return out.sort(function (a, b) { return a - b; });
  }

  /** ~count log-spaced steps in [1, steps] plus 0 (spectral.snapshot_schedule). */
  function snapshotSchedule(steps, count) {
    var out = [0], seen = { 0: true };
    for (var k = 0; k < count; k++) {
      var s = Math.round(Math.exp(Math.log(steps) * k / Math.max(1, count - 1)));
      if (!seen[s]) { seen[s] = true; out.push(s); }
    }
    if (!seen[steps]) out.push(steps);
    return out.sort(function (a, b) { return a - b; });
  }

  // ------------------------------------------------------------------ drawing helpers

  function rdbu(t) {  // t in [0, 1]: red (0) .. white .. blue (1), like plotly's RdBu
    var stops = [[0, [5, 10, 172]], [0.35, [106, 137, 247]], [0.5, [190, 190, 190]], [0.6, [220, 170, 132]],
                 [0.7, [230, 145, 90]], [1, [178, 10, 28]]];
    t = 1 - Math.min(1, Math.max(0, t));
    for (var k = 1; k < stops.length; k++) {
      if (t <= stops[k][0]) {
        var a = stops[k - 1], b = stops[k], u = (t - a[0]) / (b[0] - a[0]);
        var c = a[1].map(function (x, i) { return Math.round(x + u * (b[1][i] - x)); });
        return "rgb(" + c.join(",") + ")";
      }
    }
    return "rgb(178,10,28)";
  }

  function eigenColors(spec) {
    var lam = [1].concat(spec.normalised);
    return lam.map(function (v) { return rdbu((Math.max(-1, Math.min(1, v)) + 1) / 2); });
  }

  function graphTraces(g, xy, xa, ya, colors, labelNodes) {
    var xs = [], ys = [];
    g.edges.forEach(function (e) { xs.push(xy[0][e[0]], xy[0][e[1]], null); ys.push(xy[1][e[0]], xy[1][e[1]], null); });
    var labels = labelNodes !== false && g.n <= 40;
    return [
      { type: "scatter", x: xs, y: ys, mode: "lines", line: { color: "#bbbbbb", width: 1 }, hoverinfo: "skip",
        showlegend: false, xaxis: xa, yaxis: ya },
      { type: "scatter", x: xy[0], y: xy[1], mode: labels ? "markers+text" : "markers",
        text: labels ? xy[0].map(function (_, i) { return String(i); }) : undefined, textposition: "top center",
        textfont: { size: 9 }, marker: { size: 9, color: colors, line: { width: 0.5, color: "white" } },
        hovertext: xy[0].map(function (_, i) { return "node " + i; }), hoverinfo: "text", showlegend: false,
        xaxis: xa, yaxis: ya },
    ];
  }

  /** The graph's normalised spectrum (green) beside the embedding's normalised projections (orange). */
  function spectrumBars(spectrum, prof, xa, ya) {
    var x = [];
    for (var i = 1; i <= spectrum.length; i++) x.push(i);
    return [{ type: "bar", x: x, y: spectrum, name: "spectrum λᵢ/λ₁", marker: { color: "#009E73" }, xaxis: xa, yaxis: ya },
            { type: "bar", x: x, y: prof, name: "‖Vᵀeᵢ‖ (normalised)", marker: { color: "#D55E00" }, xaxis: xa, yaxis: ya }];
  }

  function layoutPositions(pos) {  // [[x, y], ...] -> [[x...], [y...]]
    return [pos.map(function (p) { return p[0]; }), pos.map(function (p) { return p[1]; })];
  }

  function quadLayout(titles, height) {
    var ann = titles.map(function (t, k) {
      return { text: t, showarrow: false, xref: "paper", yref: "paper", font: { size: 11 },
               x: k % 2 ? 0.56 : 0, y: k < 2 ? 1.0 : 0.42, xanchor: "left", yanchor: "bottom" };
    });
    return {
      height: height, margin: { l: 50, r: 50, t: 50, b: 40 }, barmode: "group", showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.1, yanchor: "top" }, annotations: ann,
      template: { layout: { paper_bgcolor: "white", plot_bgcolor: "white" } },
      xaxis: { domain: [0, 0.42], visible: false, range: [-1.25, 1.25] },
      yaxis: { domain: [0.56, 1], visible: false, range: [-1.25, 1.25], scaleanchor: "x", scaleratio: 1 },
      xaxis2: { domain: [0.56, 1], visible: false, range: [-1.25, 1.25] },
      yaxis2: { domain: [0.56, 1], visible: false, range: [-1.25, 1.25], scaleanchor: "x2", scaleratio: 1 },
      xaxis3: { domain: [0, 0.42], anchor: "y3", title: { text: "eigen-index i (descending eigenvalue)" },
                gridcolor: "#eee" },
      yaxis3: { domain: [0, 0.4], anchor: "x3", gridcolor: "#eee", zerolinecolor: "#ccc" },
      xaxis4: { domain: [0.56, 1], anchor: "y4", type: "log", dtick: 1, title: { text: "step" }, gridcolor: "#eee" },
      yaxis4: { domain: [0, 0.4], anchor: "x4", gridcolor: "#eee" },
    };
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "style") e.style.cssText = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function labelled(text, control, readout) {
    return el("label", { class: "geomem-live-control" }, [el("span", { text: text }), control].concat(readout ? [readout] : []));
  }

  function select(name, options, value) {
    var s = el("select", { name: name });
    options.forEach(function (o) {
      var opt = el("option", { value: o[0], text: o[1] });
      if (String(o[0]) === String(value)) opt.selected = true;
      s.appendChild(opt);
    });
    return s;
  }

  function range(name, min, max, step, value) {
    return el("input", { type: "range", name: name, min: min, max: max, step: step, value: value });
  }

  function checkbox(name, checked) {
    var c = el("input", { type: "checkbox", name: name });
    c.checked = !!checked;
    return c;
  }

  function fmt(v) { return Number(v).toPrecision(2).replace(/\.?0+e/, "e").replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, ""); }

  function nextFrame() {
    return new Promise(function (resolve) {
      if (typeof requestAnimationFrame === "function") requestAnimationFrame(function () { resolve(); });
      else setTimeout(resolve, 0);
    });
  }

  /** Plotly rejects the promise of a draw that the next draw superseded: nothing to report. */
  function quiet(p) { if (p && p.catch) p.catch(function () {}); return p; }

  function now() { return (typeof performance !== "undefined" ? performance : Date).now(); }

  // ------------------------------------------------------------------ panel: live Node2Vec

  var DRAW_BUDGET_MS = 400;
  var LRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3];
  var INITS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

  function nearest(values, v) {
    var best = 0;
    values.forEach(function (x, i) { if (Math.abs(Math.log(x / v)) < Math.abs(Math.log(values[best] / v))) best = i; });
    return best;
  }

  function Node2VecPanel(root, data) {
    this.root = root; this.data = data; this.token = 0; this.timings = [];
    var d = data.defaults;
    var graphOpts = Object.keys(data.graphs).map(function (k) { return [k, data.graphs[k].label]; });
    graphOpts.push(["path_star", "path-star G(d, l)"]);
    this.c = {
      graph: select("graph", graphOpts, d.graph),
      degree: range("degree", 1, data.max_degree, 1, d.degree),
      path_length: range("path_length", 2, data.max_path_length, 1, d.path_length),
      lr: range("lr", 0, LRS.length - 1, 1, nearest(LRS, d.lr)),
      init_std: range("init_std", 0, INITS.length - 1, 1, nearest(INITS, d.init_std)),
      width: range("width", 2, 256, 2, d.width),
      steps: range("steps", 100, 10000, 100, d.steps),
      tied: checkbox("tied", d.tied),
      self_edges: checkbox("self_edges", d.self_edges),
      seed: el("input", { type: "number", name: "seed", min: 0, max: 999999, step: 1, value: d.seed }),
    };
    this.c.seed.style.width = "6em";
    this.readouts = {};
    var self = this;
    var rows = [["graph", "graph"], ["degree", "arms d"], ["path_length", "length l"], ["width", "width m"],
                ["steps", "steps"], ["lr", "learning rate"], ["init_std", "init std"], ["seed", "seed"],
                ["tied", "tied (V Vᵀ)"], ["self_edges", "self-edges u→u"]];
    var controls = el("div", { class: "geomem-live-controls" });
    rows.forEach(function (r) {
      var ro = r[0] === "graph" || r[0] === "tied" || r[0] === "self_edges" || r[0] === "seed"
        ? null : el("output", { class: "geomem-live-readout" });
      if (ro) self.readouts[r[0]] = ro;
      controls.appendChild(labelled(r[1], self.c[r[0]], ro));
    });
    this.button = el("button", { type: "button", name: "retrain", text: "retrain" });
    this.frame = range("frame", 0, 0, 1, 0);
    this.frameOut = el("output", { class: "geomem-live-readout" });
    this.play = el("button", { type: "button", name: "play", text: "replay" });
    this.status = el("div", { class: "geomem-live-status" });
    this.fig = el("div", { class: "geomem-live-figure" });
    var bar = el("div", { class: "geomem-live-frames" }, [this.button, this.play, labelled("frame", this.frame, this.frameOut)]);
    root.textContent = "";
    root.appendChild(controls);
    root.appendChild(bar);
    root.appendChild(this.status);
    root.appendChild(this.fig);
    Object.keys(this.c).forEach(function (k) {
      var c = self.c[k];
      c.addEventListener("input", function () { self.syncReadouts(); });
      c.addEventListener("change", function () { self.retrain(); });
    });
    this.button.addEventListener("click", function () { self.retrain(); });
    this.play.addEventListener("click", function () { self.replay(); });
    this.frame.addEventListener("input", function () { self.drawFrame(+self.frame.value); });
    this.syncReadouts();
    this.retrain();
  }

  Node2VecPanel.prototype.values = function () {
    var c = this.c;
    return {
      graph: c.graph.value, degree: +c.degree.value, path_length: +c.path_length.value,
      lr: LRS[+c.lr.value], init_std: INITS[+c.init_std.value], width: +c.width.value,
      steps: +c.steps.value, tied: c.tied.checked, self_edges: c.self_edges.checked,
      seed: Math.max(0, Math.floor(+c.seed.value || 0)),
    };
  };

  Node2VecPanel.prototype.syncReadouts = function () {
    var v = this.values(), r = this.readouts;
    r.degree.textContent = v.degree; r.path_length.textContent = v.path_length;
    r.lr.textContent = fmt(v.lr); r.init_std.textContent = fmt(v.init_std);
    r.width.textContent = v.width; r.steps.textContent = v.steps;
    var ps = v.graph === "path_star";
    this.c.degree.disabled = this.c.path_length.disabled = !ps;
  };

  Node2VecPanel.prototype.graph = function (v) {
    if (v.graph === "path_star") return pathStar(v.degree, v.path_length);
    var g = this.data.graphs[v.graph];
    return { name: g.label, n: g.n, edges: g.edges, pos: g.pos, colors: g.colors };
  };

  /** Retrain from scratch with the controls' values, drawing each snapshot as it is reached. */
  Node2VecPanel.prototype.retrain = async function () {
    var token = ++this.token, t0 = now(), v = this.values(), g = this.graph(v), self = this;
    this.root.setAttribute("data-state", "training");
    var spec = graphSpectrum(g.n, g.edges);
    var T;
    try { T = transition(g.n, g.edges, v.self_edges); } catch (err) {
      this.status.textContent = "Cannot train: " + err.message;
      this.root.setAttribute("data-state", "error");
      return;
    }
    var V0 = randomNormal(g.n * v.width, v.init_std, 2 * v.seed + 1);
    var W0 = v.tied ? null : randomNormal(g.n * v.width, v.init_std, 2 * v.seed + 2);
    var tr = new Node2VecTrainer({ n: g.n, width: v.width, T: T, V0: V0, W0: W0, tied: v.tied, lr: v.lr });
    var sched = snapshotSchedule(v.steps, 20);
    this.run = { v: v, g: g, spec: spec, frames: [], steps: sched, tr: tr, layout: null };
    var trainMs = 0, drawMs = 0, stride = 1, drawn = 0;
    for (var k = 0; k < sched.length; k++) {
      var ta = now();
      tr.advance(sched[k] - tr.step);
      this.run.frames.push(this.measure(tr, g, spec));
      trainMs += now() - ta;
      var last = k === sched.length - 1;
      if (!last && k % stride) continue;
      var tb = now();
      this.frame.max = k; this.frame.value = k;
      this.drawFrame(k);
      drawMs += now() - tb; drawn += 1;
      // Frame by frame within a budget: a slow machine skips some snapshots while training
      // (every one stays on the frame slider), so that a retrain stays near half a second.
      if (drawn === 2) {  // the second draw is the first update of an existing plot: what a frame costs
        var each = now() - tb;
        stride = Math.max(1, Math.ceil(each * (sched.length - k - 1) / Math.max(DRAW_BUDGET_MS - drawMs, each)));
      }
      await nextFrame();
      if (token !== this.token) return;  // a newer change took over
    }
    this.frame.max = sched.length - 1; this.frame.value = sched.length - 1;
    var total = now() - t0;
    last = this.run.frames[this.run.frames.length - 1];
    this.timings.push({ steps: v.steps, graph: g.name, n: g.n, total_ms: total, train_ms: trainMs, draw_ms: drawMs,
                        frames_drawn: drawn, frames: sched.length });
    this.root.setAttribute("data-state", "done");
    this.root.setAttribute("data-redraw-ms", total.toFixed(1));
    this.status.textContent = "Trained " + v.steps + " steps on " + g.name + " (" + g.n + " nodes) in " +
      (total / 1000).toFixed(2) + " s, drawing included (training " + (trainMs / 1000).toFixed(2) + " s); " +
      drawn + " of the " + sched.length + " snapshots drawn as it trained, all of them on the frame slider. " +
      "Alignment " + last.align.toFixed(3) + ", final loss " + last.loss.toFixed(3) + ".";
  };

  Node2VecPanel.prototype.measure = function (tr, g, spec) {
    var n = g.n, m = tr.m;
    return {
      step: tr.step, xy: pca2d(tr.V, n, m), prof: projections(tr.V, n, m, spec, false),
      align: alignment(tr.V, n, m, spec),
      loss: tr.losses.length ? tr.losses[tr.losses.length - 1] : NaN,
    };
  };

  Node2VecPanel.prototype.replay = async function () {
    var token = ++this.token, frames = this.run ? this.run.frames.length : 0;
    for (var k = 0; k < frames; k++) {
      this.frame.value = k;
      this.drawFrame(k);
      await nextFrame();
      if (token !== this.token) return;
    }
  };

  Node2VecPanel.prototype.drawFrame = function (k) {
    var run = this.run, fr = run.frames[k], g = run.g, spec = run.spec, v = run.v, n = g.n, i;
    this.frameOut.textContent = "step " + fr.step + ": alignment " + fr.align.toFixed(2) +
      (isFinite(fr.loss) ? ", loss " + fr.loss.toFixed(3) : "");
    var traces = graphTraces(g, fr.xy, "x", "y", g.colors, false);
    traces = traces.concat(spectrumBars(spec.normalised, normalisedProfile(fr.prof), "x2", "y2"));
    // (c): one trace per kind of eigenvector (smooth, zig-zag, the rest), lines split by nulls
    var upto = run.frames.slice(0, k + 1), sx = upto.map(function (f) { return Math.max(f.step, 0.5); });
    var groups = [["smooth", "#3b6fb6", []], ["other", "#b0b0b0", []], ["zig-zag", "#c0392b", []]];
    for (i = 0; i < n; i++) {
      var lam = i === 0 ? 1 : spec.normalised[i - 1], grp = groups[lam > 1e-9 ? 0 : lam <= -0.5 + 1e-9 ? 2 : 1][2];
      grp.push(i);
    }
    groups.forEach(function (gr) {
      var xs = [], ys = [];
      gr[2].forEach(function (e) {
        upto.forEach(function (f, j) { xs.push(sx[j]); ys.push(f.prof[e]); });
        xs.push(null); ys.push(null);
      });
      traces.push({ type: "scatter", mode: "lines", x: xs, y: ys, name: gr[0], line: { color: gr[1], width: 1.3 },
                    hoverinfo: "skip", xaxis: "x3", yaxis: "y3" });
    });
    var losses = run.tr.losses, every = Math.max(1, Math.floor(fr.step / 200)), lx = [], ly = [];
    for (i = 0; i < Math.min(fr.step, losses.length); i += every) { lx.push(i + 1); ly.push(losses[i]); }
    traces.push({ type: "scatter", mode: "lines", x: lx, y: ly, line: { color: "#333" }, name: "loss",
                  xaxis: "x4", yaxis: "y4" });
    if (!run.layout) run.layout = this.layoutFor(run);
    run.layout.datarevision = k;
    quiet(window.Plotly.react(this.fig, traces, run.layout, { displaylogo: false, responsive: true }));
  };

  Node2VecPanel.prototype.layoutFor = function (run) {
    var v = run.v, g = run.g, spec = run.spec;
    var lay = quadLayout(["(a) embedding, top-2 principal components",
                          "(b) spectrum (green), ‖Vᵀeᵢ‖ (orange)",
                          "(c) ‖V(t)ᵀeᵢ‖: blue smooth, red zig-zag",
                          "(d) loss per node"], 620);
    lay.showlegend = false;
    lay.xaxis2 = { domain: [0.56, 1], anchor: "y2", gridcolor: "#eee" };
    lay.yaxis2 = { domain: [0.56, 1], anchor: "x2", gridcolor: "#eee", zerolinecolor: "#ccc",
                   range: [Math.min(-0.1, Math.min.apply(null, spec.normalised) - 0.1), 1.1] };
    var maxStep = Math.max(1, v.steps);
    lay.xaxis3 = { domain: [0, 0.42], anchor: "y3", type: "log", range: [Math.log10(0.5), Math.log10(maxStep) + 0.05],
                   dtick: 1, title: { text: "step" }, gridcolor: "#eee" };
    lay.yaxis3 = { domain: [0, 0.4], anchor: "x3", rangemode: "tozero", gridcolor: "#eee" };
    lay.xaxis4 = { domain: [0.56, 1], anchor: "y4", type: "log", range: [0, Math.log10(maxStep) + 0.05],
                   dtick: 1, title: { text: "step" }, gridcolor: "#eee" };
    lay.yaxis4 = { domain: [0, 0.4], anchor: "x4", type: "log", dtick: 1, gridcolor: "#eee" };
    lay.title = { text: "Node2Vec (" + (v.tied ? "tied" : "untied") + ") on " + g.name + ": m=" + v.width +
                  ", lr=" + fmt(v.lr) + ", init N(0, " + fmt(v.init_std) + "²)" + (v.self_edges ? ", self-edges" : "") +
                  ", " + v.steps + " steps, seed " + v.seed, font: { size: 14 }, x: 0.01, xanchor: "left" };
    lay.margin = { l: 50, r: 20, t: 60, b: 60 };
    return lay;
  };

  // ------------------------------------------------------------------ panel: the playground

  var WDS = [0, 1e-4, 1e-3, 0.01, 0.1, 1, 10];
  var DRAW_EVERY_MS = 150;  // while a run trains, the panels redraw at most this often
  var PG_STEPS = [5, 10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000];
  var PG_WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512];
  /** Milliseconds per multiply-add of trainingCost before the page has timed a retrain of its own
   *  (bench/live_page.py: about 3e-6 in headless Chromium on a shared 2-core machine). */
  var MS_PER_COST = 3e-6;

  /** The index of v in values (nearest on a log scale; 0 matches only 0). */
  function indexOf(values, v) {
    if (v === 0 && values[0] === 0) return 0;
    return nearest(values.filter(function (x) { return x > 0; }), v) + (values[0] === 0 ? 1 : 0);
  }

  function PlaygroundPanel(root, data) {
    this.root = root; this.data = data; this.token = 0; this.live = null; this.timings = []; this.msPerCost = {};
    var self = this, d = data.defaults, live = data.live;
    // the families the page retrains come last, in their own group
    var model = el("select", { name: "model" }), groups = [["precomputed runs", []], ["also retrained in the page", []]];
    data.models.forEach(function (o) { groups[live.models.indexOf(o[0]) >= 0 ? 1 : 0][1].push(o); });
    groups.forEach(function (gr) {
      var og = el("optgroup", { label: gr[0] });
      gr[1].forEach(function (o) { og.appendChild(el("option", { value: o[0], text: o[1] })); });
      model.appendChild(og);
    });
    model.value = d.model;
    this.c = {
      graph: select("graph", data.graph_order.map(function (k) { return [k, data.graphs[k].label]; }), d.graph),
      model: model,
      edges: select("edges", [["0", "edges u→v"], ["1", "edges u→v and self-edges u→u"]], d.self_edges ? "1" : "0"),
      scale: range("scale", 0, data.scales.length - 1, 1, d.scale_index),
      step: range("step", 0, 0, 1, 0),
    };
    this.l = {
      width: range("width", 0, PG_WIDTHS.length - 1, 1, 3),
      lr: range("lr", 0, LRS.length - 1, 1, nearest(LRS, 0.01)),
      weight_decay: range("weight_decay", 0, WDS.length - 1, 1, 0),
      steps: range("steps", 0, PG_STEPS.length - 1, 1, 5),
      seed: el("input", { type: "number", name: "seed", min: 0, max: 999999, step: 1, value: 0 }),
      tied: checkbox("tied", true),
    };
    this.l.seed.style.width = "6em";
    this.readouts = {};
    ["scale", "step", "width", "lr", "weight_decay", "steps"].forEach(function (k) {
      self.readouts[k] = el("output", { class: "geomem-live-readout" });
    });
    var controls = el("div", { class: "geomem-live-controls" }, [
      labelled("graph", this.c.graph), labelled("model", this.c.model), labelled("edges", this.c.edges),
      labelled("init std", this.c.scale, this.readouts.scale),
      labelled("training step", this.c.step, this.readouts.step)]);
    this.play = el("button", { type: "button", name: "play", text: "play training" });
    controls.appendChild(this.play);
    this.button = el("button", { type: "button", name: "retrain", text: "retrain in the page" });
    this.progress = el("progress", { max: 1, value: 0, "aria-label": "training progress" });
    this.liveNote = el("span", { class: "geomem-live-note-inline" });
    var liveRow = el("div", { class: "geomem-live-controls geomem-live-retrain" }, [
      labelled("width m", this.l.width, this.readouts.width), labelled("learning rate", this.l.lr, this.readouts.lr),
      labelled("weight decay", this.l.weight_decay, this.readouts.weight_decay),
      labelled("steps", this.l.steps, this.readouts.steps), labelled("page seed", this.l.seed),
      labelled("tied E", this.l.tied), this.button, this.progress, this.liveNote]);
    this.status = el("div", { class: "geomem-live-status", role: "status", "aria-live": "polite" });
    this.fig = el("div", { class: "geomem-live-figure", role: "img" });
    root.textContent = "";
    root.appendChild(controls);
    root.appendChild(liveRow);
    root.appendChild(this.status);
    root.appendChild(this.fig);
    ["graph", "edges", "scale"].forEach(function (k) {
      self.c[k].addEventListener("input", function () { self.settingChanged(); });
    });
    this.c.model.addEventListener("input", function () { self.resetLive(); self.settingChanged(); });
    this.c.step.addEventListener("input", function () { self.show(false); });
    Object.keys(this.l).forEach(function (k) {
      self.l[k].addEventListener("input", function () { self.syncReadouts(); });
      self.l[k].addEventListener("change", function () { self.settingChanged(); });
    });
    this.play.addEventListener("click", function () { self.playTraining(); });
    this.button.addEventListener("click", function () { self.retrain(); });
    this.resetLive();
    this.settingChanged();
  }

  PlaygroundPanel.prototype.key = function () {
    var c = this.c;
    return [c.graph.value, c.model.value, c.edges.value, +c.scale.value].join("|");
  };

  /** The retrain controls' values, with the grid's graph, model, edges and init scale. */
  PlaygroundPanel.prototype.values = function () {
    var l = this.l, c = this.c;
    return {
      graph: c.graph.value, model: c.model.value, self_edges: c.edges.value === "1",
      init_std: this.data.scales[+c.scale.value], width: PG_WIDTHS[+l.width.value], lr: LRS[+l.lr.value],
      weight_decay: WDS[+l.weight_decay.value], steps: PG_STEPS[+l.steps.value],
      seed: Math.max(0, Math.floor(+l.seed.value || 0)), tied: l.tied.checked,
      frozen: c.model.value === "assoc",
    };
  };

  /** A new model: the retrain controls take the grid's settings of that family. */
  PlaygroundPanel.prototype.resetLive = function () {
    var run = this.data.runs[this.key()];
    if (!run) return;
    var s = run.settings, l = this.l;
    l.width.value = indexOf(PG_WIDTHS, s.width); l.lr.value = nearest(LRS, s.lr);
    l.steps.value = indexOf(PG_STEPS, s.steps); l.weight_decay.value = 0; l.tied.checked = s.tied; l.seed.value = 0;
    this.syncReadouts();
  };

  PlaygroundPanel.prototype.syncReadouts = function () {
    var v = this.values(), r = this.readouts, trainable = this.data.live.models.indexOf(v.model) >= 0, self = this;
    r.width.textContent = v.width; r.lr.textContent = fmt(v.lr); r.weight_decay.textContent = fmt(v.weight_decay);
    r.steps.textContent = v.steps;
    Object.keys(this.l).forEach(function (k) { self.l[k].disabled = !trainable; });
    this.button.disabled = !trainable;
    this.liveNote.textContent = trainable ? "about " + (this.estimateMs(v) / 1000).toFixed(1) + " s to train here"
      : this.data.live.elsewhere[v.model] || "";
  };

  /** The cost of training setting v (trainingCost), and the time it will take: this machine's
   *  speed from the family's last retrain, or MS_PER_COST before the first. */
  PlaygroundPanel.prototype.cost = function (v) {
    var gd = this.data.graphs[v.graph];
    return trainingCost(v.model, gd.n, edgePairs(gd.n, gd.edges, v.self_edges).length, v.width, v.steps);
  };
  PlaygroundPanel.prototype.estimateMs = function (v) {
    return this.cost(v) * (this.msPerCost[v.model] || MS_PER_COST);
  };

  /** Do the retrain controls ask for the grid's own run (then the grid's view is shown)? */
  PlaygroundPanel.prototype.onGrid = function () {
    var run = this.data.runs[this.key()], v = this.values();
    if (!run) return false;
    var s = run.settings;
    return PG_WIDTHS[indexOf(PG_WIDTHS, s.width)] === v.width && LRS[nearest(LRS, s.lr)] === v.lr &&
      PG_STEPS[indexOf(PG_STEPS, s.steps)] === v.steps && v.weight_decay === 0 && v.tied === s.tied &&
      !this.seedMoved;
  };

  PlaygroundPanel.prototype.settingChanged = function () {
    this.syncReadouts();
    var trainable = this.data.live.models.indexOf(this.c.model.value) >= 0;
    if (trainable && !this.onGrid()) { this.retrain(); return; }
    this.token++; this.live = null;
    this.root.setAttribute("data-state", "done");
    this.show(true);
  };

  PlaygroundPanel.prototype.current = function () { return this.live || this.data.runs[this.key()]; };

  PlaygroundPanel.prototype.show = function (toLast) {
    var run = this.current();
    this.readouts.scale.textContent = fmt(this.data.scales[+this.c.scale.value]);
    if (!run) { this.status.textContent = "no precomputed run for " + this.key(); return; }
    if (toLast) { this.c.step.max = run.steps.length - 1; this.c.step.value = run.steps.length - 1; }
    var k = Math.min(+this.c.step.value, run.steps.length - 1);
    this.readouts.step.textContent = run.steps[k] + " of " + run.settings.steps;
    this.draw(run, k);
    this.root.setAttribute("data-view", (this.live ? "page|" : "") + this.key() + "|" + run.steps[k]);
  };

  /** Train the selected setting in the page (PAGE_TRAINERS, chapter 05's recipe), keeping what the
   *  grid keeps of a run (snapshots, recovery curve, loss), then draw it like a grid run. */
  PlaygroundPanel.prototype.retrain = async function () {
    var token = ++this.token, self = this, t0 = now(), v = this.values(), gd = this.data.graphs[v.graph];
    var g = { n: gd.n, edges: gd.edges }, spec = graphSpectrum(g.n, g.edges), m = v.width, n = g.n;
    if (refusedDecay(this, v)) return;
    this.root.setAttribute("data-state", "training");
    var tr = PAGE_TRAINERS[v.model](g, v, { schedule: "cosine", gradClip: 1.0 }), est = this.estimateMs(v);
    var snaps = snapshotSchedule(v.steps, 8), curve = curvePoints(v.steps, 6), pts = {};
    snaps.concat(curve).forEach(function (s) { pts[s] = true; });
    var run = { settings: { graph_key: v.graph, model: v.model, tied: v.tied, self_edges: v.self_edges, width: m,
                            lr: v.lr, init_std: v.init_std, steps: v.steps, seed: v.seed, weight_decay: v.weight_decay,
                            page: true },
                steps: [], pcs: [], prof: [], align: [], curve: [[], []], loss: [[], []] };
    var measure = function (t) {
      var X = t.E.subarray(0, n * m);
      if (snaps.indexOf(t.step) >= 0) {
        run.steps.push(t.step); run.pcs.push(pca2d(X, n, m));
        run.prof.push(normalisedProfile(projections(X, n, m, spec, false))); run.align.push(alignment(X, n, m, spec));
      }
      if (t.step > 0 && curve.indexOf(t.step) >= 0) {
        run.curve[0].push(t.step); run.curve[1].push(topKRecovery(t.edgeLogits(true), n, g.edges, v.self_edges));
      }
      if (t.step > 0 && run.curve[0].length && now() - drawn > DRAW_EVERY_MS) {  // the geometry as it forms
        self.lossCurve(run, t.losses);
        self.live = run;
        self.show(true);
        drawn = now();
        return true;
      }
      return false;
    };
    this.progress.max = v.steps; this.progress.value = 0;
    var report = function (step) {
      self.progress.value = step;
      self.status.textContent = "Training in the page (about " + (est / 1000).toFixed(1) + " s): step " + step +
        " of " + v.steps + "…";
    };
    report(0);
    // the first view after a step is drawn at once (a retrain starts from the init), later ones throttled
    var points = Object.keys(pts).map(Number).sort(function (a, b) { return a - b; }), drawn = -Infinity;
    var ok = await trainThrough(tr, points, measure, report, function () { return token === self.token; });
    if (!ok) return;
    var trainMs = now() - t0;
    this.msPerCost[v.model] = trainMs / this.cost(v);  // the next estimate uses this machine's speed
    this.lossCurve(run, tr.losses);
    run.top_k = run.curve[1][run.curve[1].length - 1]; run.alignment = run.align[run.align.length - 1];
    this.live = run;
    this.progress.value = v.steps;
    this.show(true);
    var total = now() - t0;
    this.timings.push({ steps: v.steps, n: n, width: m, model: v.model, total_ms: total, train_ms: trainMs });
    this.root.setAttribute("data-state", "done");
    this.root.setAttribute("data-redraw-ms", total.toFixed(1));
    this.status.textContent = "Retrained in the page in " + (total / 1000).toFixed(2) + " s (page seed " + v.seed +
      "): top-k edge recovery " + Math.round(run.top_k) + "%, alignment " + run.alignment.toFixed(3) +
      " (a random matrix: " + gd.random_alignment.toFixed(3) + ").";
  };

  /** About 60 points of the loss per step (all of it for short runs), into run.loss. */
  PlaygroundPanel.prototype.lossCurve = function (run, losses) {
    var every = Math.max(1, Math.floor(run.settings.steps / 60));
    run.loss = [[], []];
    for (var i = 0; i < losses.length; i += every) { run.loss[0].push(i + 1); run.loss[1].push(losses[i]); }
  };

  PlaygroundPanel.prototype.playTraining = async function () {
    var token = ++this.token, run = this.current();
    if (!run) return;
    for (var k = 0; k < run.steps.length; k++) {
      this.c.step.value = k;
      this.show(false);
      await new Promise(function (r) { setTimeout(r, 250); });
      if (token !== this.token) return;
    }
  };

  PlaygroundPanel.prototype.draw = function (run, k) {
    var g = this.data.graphs[run.settings.graph_key], s = run.settings;
    var traces = graphTraces(g, layoutPositions(g.pos), "x", "y", g.colors);
    traces = traces.concat(graphTraces(g, run.pcs[k], "x2", "y2", g.colors));
    traces = traces.concat(spectrumBars(g.spectrum, run.prof[k], "x3", "y3"));
    var step = run.steps[k], cx = [], cy = [];
    run.curve[0].forEach(function (st, j) { if (st <= step) { cx.push(st); cy.push(run.curve[1][j]); } });
    traces.push({ type: "scatter", mode: "lines", x: run.curve[0], y: run.curve[1], line: { color: "#c9d3e6", width: 1 },
                  hoverinfo: "skip", showlegend: false, xaxis: "x4", yaxis: "y4" });
    traces.push({ type: "scatter", mode: "lines+markers", x: cx, y: cy, name: "top-k recovery (%)",
                  line: { color: PALETTE[0] }, marker: { size: 4 }, xaxis: "x4", yaxis: "y4" });
    var lx = [], ly = [];
    run.loss[0].forEach(function (st, j) { if (st <= Math.max(step, 1)) { lx.push(st); ly.push(run.loss[1][j]); } });
    traces.push({ type: "scatter", mode: "lines", x: lx, y: ly, name: "loss", line: { color: "#888888", width: 1 },
                  xaxis: "x4", yaxis: "y5" });
    var topk = cy.length ? cy[cy.length - 1] : 0;
    var lay = quadLayout(["(a) the graph", "(b) embedding at step " + step + ", top-2 PCs",
                          "(c) spectrum vs ‖Vᵀeᵢ‖: alignment " + run.align[k].toFixed(2) +
                          " (random " + g.random_alignment.toFixed(2) + ")",
                          "(d) top-k recovery " + Math.round(topk) + "% and loss"], 660);
    lay.yaxis3.range = [Math.min(-0.1, Math.min.apply(null, g.spectrum) - 0.1), 1.1];
    lay.xaxis4.range = [0, Math.log10(Math.max(2, s.steps)) + 0.1];
    lay.yaxis4.range = [0, 105];
    lay.yaxis4.title = { text: "top-k %" };
    var lmax = Math.max.apply(null, run.loss[1]);
    lay.yaxis5 = { overlaying: "y4", side: "right", anchor: "x4", range: [0, 1.05 * lmax], showgrid: false,
                   tickformat: ".2~g", nticks: 5, title: { text: "loss" } };
    lay.title = { text: this.data.model_labels[s.model] + " on " + g.label + ": " + (s.tied ? "tied" : "untied") +
                  (s.self_edges ? ", self-edges" : "") + ", m=" + s.width + ", lr=" + fmt(s.lr) + ", init N(0, " +
                  fmt(s.init_std) + "²)" + (s.weight_decay ? ", weight decay " + fmt(s.weight_decay) : "") + ",<br>" +
                  s.steps + " steps, " + (s.page ? "retrained in the page, page seed " : "precomputed, seed ") + s.seed,
                  font: { size: 14 }, x: 0.01, xanchor: "left" };
    lay.margin = { l: 50, r: 50, t: 85, b: 60 };
    lay.legend = { orientation: "h", x: 0, y: -0.13, yanchor: "top", font: { size: 11 } };
    quiet(window.Plotly.react(this.fig, traces, lay, { displaylogo: false, responsive: true }));
    this.status.textContent = "Step " + step + ": top-k edge recovery " + Math.round(topk) + "%, alignment " +
      run.align[k].toFixed(3) + " (a random matrix: " + g.random_alignment.toFixed(3) + ").";
    this.fig.setAttribute("aria-label", lay.title.text.replace("<br>", " ") + ". " + this.status.textContent);
  };

  // ------------------------------------------------------------------ panel: chapter 04's knobs

  var KNOB_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1];
  var KNOB_INITS = [0.02, 0.1, 0.3, 1, 3];
  var DROPOUTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
  var KNOB_WIDTHS = [8, 16, 32, 64, 128];
  var KNOB_STEPS = [250, 500, 1000, 2000, 5000];

  /** A panel's retrain refuses lr × weight decay >= 1 (AdamW would scale the weights by a
   *  factor <= 0 at every step), saying so in its status line; true when refused. */
  function refusedDecay(panel, v) {
    if (v.lr * v.weight_decay < 1) return false;
    panel.status.textContent = "Not trained: learning rate × weight decay must stay below 1 (AdamW scales the " +
      "weights by 1 − lr × weight decay at every step).";
    panel.root.setAttribute("data-state", "error");
    return true;
  }

  function median(xs) {
    var s = xs.slice().sort(function (a, b) { return a - b; }), h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  }

  /** The one-layer network on the knob table's graph, retrained in the page under the table's
   *  recipe (constant rate, no clipping: chapter 04's knob runs) with the reader's learning rate,
   *  initial scale, weight decay and dropout; the edge margins (original and skewed) and the
   *  skewed top-1 are recorded data.evals times, the direction judged like the table's rows. */
  function KnobPanel(root, data) {
    this.root = root; this.data = data; this.token = 0; this.timings = [];
    var self = this, d = data.defaults;
    this.c = {
      row: select("row", [["", "(your own)"]].concat(data.rows.map(function (r, i) { return [String(i), r.label]; })), ""),
      lr: range("lr", 0, KNOB_LRS.length - 1, 1, nearest(KNOB_LRS, d.lr)),
      init_std: range("init_std", 0, KNOB_INITS.length - 1, 1, nearest(KNOB_INITS, d.init_std)),
      weight_decay: range("weight_decay", 0, WDS.length - 1, 1, indexOf(WDS, d.weight_decay)),
      dropout: range("dropout", 0, DROPOUTS.length - 1, 1, DROPOUTS.indexOf(d.dropout)),
      width: range("width", 0, KNOB_WIDTHS.length - 1, 1, KNOB_WIDTHS.indexOf(d.width)),
      steps: range("steps", 0, KNOB_STEPS.length - 1, 1, KNOB_STEPS.indexOf(d.steps)),
      seed: el("input", { type: "number", name: "seed", min: 0, max: 999999, step: 1, value: d.seed }),
    };
    this.c.seed.style.width = "6em";
    var rows = [["row", "a row of the table"], ["lr", "learning rate"], ["init_std", "init std"],
                ["weight_decay", "weight decay"], ["dropout", "dropout"], ["width", "width m"], ["steps", "steps"],
                ["seed", "page seed"]];
    this.readouts = {};
    var controls = el("div", { class: "geomem-live-controls" });
    rows.forEach(function (r) {
      var ro = r[0] === "row" || r[0] === "seed" ? null : el("output", { class: "geomem-live-readout" });
      if (ro) self.readouts[r[0]] = ro;
      controls.appendChild(labelled(r[1], self.c[r[0]], ro));
    });
    this.button = el("button", { type: "button", name: "retrain", text: "retrain" });
    this.progress = el("progress", { max: 1, value: 0, "aria-label": "training progress" });
    controls.appendChild(this.button);
    controls.appendChild(this.progress);
    this.status = el("div", { class: "geomem-live-status", role: "status", "aria-live": "polite" });
    this.fig = el("div", { class: "geomem-live-figure", role: "img" });
    root.textContent = "";
    root.appendChild(controls);
    root.appendChild(this.status);
    root.appendChild(this.fig);
    Object.keys(this.c).forEach(function (k) {
      self.c[k].addEventListener("input", function () { if (k !== "row") self.c.row.value = ""; self.syncReadouts(); });
      self.c[k].addEventListener("change", function () { if (k === "row") self.applyRow(); self.retrain(); });
    });
    this.button.addEventListener("click", function () { self.retrain(); });
    this.syncReadouts();
    this.retrain();
  }

  KnobPanel.prototype.values = function () {
    var c = this.c;
    return { lr: KNOB_LRS[+c.lr.value], init_std: KNOB_INITS[+c.init_std.value], weight_decay: WDS[+c.weight_decay.value],
             dropout: DROPOUTS[+c.dropout.value], width: KNOB_WIDTHS[+c.width.value], steps: KNOB_STEPS[+c.steps.value],
             seed: Math.max(0, Math.floor(+c.seed.value || 0)), tied: true, frozen: false, self_edges: false };
  };

  /** A row of the table: its learning rate, initial scale, weight decay and dropout (the page
   *  keeps its own width and steps). */
  KnobPanel.prototype.applyRow = function () {
    var r = this.data.rows[+this.c.row.value], c = this.c;
    if (!this.c.row.value || !r) return;
    c.lr.value = nearest(KNOB_LRS, r.lr); c.init_std.value = nearest(KNOB_INITS, r.init_std);
    c.weight_decay.value = indexOf(WDS, r.weight_decay); c.dropout.value = DROPOUTS.indexOf(r.dropout);
    this.syncReadouts();
  };

  KnobPanel.prototype.syncReadouts = function () {
    var v = this.values(), r = this.readouts;
    r.lr.textContent = fmt(v.lr); r.init_std.textContent = fmt(v.init_std);
    r.weight_decay.textContent = fmt(v.weight_decay); r.dropout.textContent = fmt(v.dropout);
    r.width.textContent = v.width; r.steps.textContent = v.steps;
  };

  KnobPanel.prototype.retrain = async function () {
    var token = ++this.token, self = this, t0 = now(), v = this.values(), g = this.data.graph, n = g.n, m = v.width;
    if (refusedDecay(this, v)) return;
    this.root.setAttribute("data-state", "training");
    var spec = graphSpectrum(n, g.edges), every = Math.max(1, Math.floor(v.steps / this.data.evals)), points = [];
    for (var s = every; s <= v.steps; s += every) points.push(s);
    if (points[points.length - 1] !== v.steps) points.push(v.steps);
    var tr = pageNet(g, v, { schedule: "constant", gradClip: null }), hist = [];
    this.progress.max = v.steps; this.progress.value = 0;
    var drawn = -Infinity, result = function (t) {  // the first evaluation is drawn at once, later ones throttled
      var X = t.E.subarray(0, n * m), late = hist.filter(function (h) { return h.step > self.data.late_fraction * v.steps; });
      var res = { v: v, hist: hist, xy: pca2d(X, n, m), prof: normalisedProfile(projections(X, n, m, spec, false)),
                  align: alignment(X, n, m, spec), spectrum: spec.normalised,
                  late_margin: late.length ? median(late.map(function (h) { return h.skewed_margin; })) : NaN,
                  late_top1: late.length ? median(late.map(function (h) { return h.skewed_top1; })) : NaN };
      res.geometric = res.late_margin > 0 && res.late_top1 >= self.data.geometric_top1;
      return res;
    };
    var ok = await trainThrough(tr, points, function (t) {
      var rep = marginReport(t, g.edges);
      rep.step = t.step; rep.loss = t.losses[t.losses.length - 1];
      hist.push(rep);
      if (now() - drawn <= DRAW_EVERY_MS) return false;
      self.draw(result(t));  // the margins as they move
      drawn = now();
      return true;
    }, function (step) {
      self.progress.value = step;
      self.status.textContent = "Training in the page: step " + step + " of " + v.steps + "…";
    }, function () { return token === self.token; });
    if (!ok) return;
    var res = result(tr);
    this.result = res;
    this.progress.value = v.steps;
    this.draw(res);
    var total = now() - t0, last = hist[hist.length - 1];
    this.timings.push({ steps: v.steps, width: m, total_ms: total });
    this.root.setAttribute("data-state", "done");
    this.root.setAttribute("data-redraw-ms", total.toFixed(1));
    this.status.textContent = "Retrained in the page in " + (total / 1000).toFixed(2) + " s (page seed " + v.seed +
      "). At the end: edge margin " + last.margin.toFixed(2) + ", skewed margin " + last.skewed_margin.toFixed(2) +
      ", skewed top-1 " + Math.round(last.skewed_top1) + "%; over the last fifth (medians) skewed margin " +
      res.late_margin.toFixed(2) + " and top-1 " + Math.round(res.late_top1) + "%: " +
      (res.geometric ? "geometric" : "not geometric") + ". Alignment of E " + res.align.toFixed(3) + ".";
    this.fig.setAttribute("aria-label", "Knob panel figure. " + this.status.textContent);
  };

  KnobPanel.prototype.draw = function (res) {
    var g = this.data.graph, v = res.v, hist = res.hist, steps = hist.map(function (h) { return h.step; });
    var traces = graphTraces(g, res.xy, "x", "y", g.colors);
    traces = traces.concat(spectrumBars(res.spectrum, res.prof, "x2", "y2"));
    traces.push({ type: "scatter", mode: "lines", x: steps, y: hist.map(function (h) { return h.margin; }),
                  name: "edge margin", line: { color: "#888888" }, xaxis: "x3", yaxis: "y3" });
    traces.push({ type: "scatter", mode: "lines", x: steps, y: hist.map(function (h) { return h.skewed_margin; }),
                  name: "skewed edge margin", line: { color: PALETTE[0] }, xaxis: "x3", yaxis: "y3" });
    traces.push({ type: "scatter", mode: "lines", x: steps, y: hist.map(function (h) { return h.skewed_top1; }),
                  name: "skewed top-1 (%)", line: { color: PALETTE[2] }, xaxis: "x4", yaxis: "y4" });
    var lay = quadLayout(["(a) embedding E, top-2 PCs, with the cycle's edges",
                          "(b) spectrum vs ‖Eᵀeᵢ‖: alignment " + res.align.toFixed(2),
                          "(c) edge margins" + (isNaN(res.late_margin) ? " (training…)" : ": " +
                                                    (res.geometric ? "geometric" : "not geometric")),
                          "(d) skewed top-1, the " + this.data.geometric_top1 + "% line dashed"], 640);
    lay.xaxis2 = { domain: [0.56, 1], anchor: "y2", gridcolor: "#eee" };
    lay.yaxis2 = { domain: [0.56, 1], anchor: "x2", gridcolor: "#eee", range: [Math.min(-0.1, Math.min.apply(null, res.spectrum) - 0.1), 1.1] };
    lay.xaxis3 = { domain: [0, 0.42], anchor: "y3", title: { text: "step" }, gridcolor: "#eee" };
    lay.yaxis3 = { domain: [0, 0.4], anchor: "x3", gridcolor: "#eee", zerolinecolor: "#444", rangemode: "tozero" };
    lay.xaxis4 = { domain: [0.56, 1], anchor: "y4", title: { text: "step" }, gridcolor: "#eee" };
    lay.yaxis4 = { domain: [0, 0.4], anchor: "x4", range: [0, 105], gridcolor: "#eee" };
    var x0 = this.data.late_fraction * v.steps;
    lay.shapes = [{ type: "line", xref: "x4", yref: "y4", x0: 0, x1: v.steps, y0: this.data.geometric_top1,
                    y1: this.data.geometric_top1, line: { dash: "dash", color: "#999", width: 1 } },
                  { type: "rect", xref: "x3", yref: "paper", x0: x0, x1: v.steps, y0: 0, y1: 0.4, fillcolor: "#000",
                    opacity: 0.06, line: { width: 0 } },
                  { type: "rect", xref: "x4", yref: "paper", x0: x0, x1: v.steps, y0: 0, y1: 0.4, fillcolor: "#000",
                    opacity: 0.06, line: { width: 0 } }];
    lay.title = { text: "1-layer network on " + g.label + ": m=" + v.width + ", lr=" + fmt(v.lr) + " (constant), init N(0, " +
                  fmt(v.init_std) + "²),<br>weight decay " + fmt(v.weight_decay) + ", dropout " + fmt(v.dropout) + ", " +
                  v.steps + " steps, page seed " + v.seed, font: { size: 13 }, x: 0.01, xanchor: "left" };
    lay.margin = { l: 50, r: 30, t: 85, b: 60 };
    lay.legend = { orientation: "h", x: 0, y: -0.13, yanchor: "top", font: { size: 11 } };
    quiet(window.Plotly.react(this.fig, traces, lay, { displaylogo: false, responsive: true }));
  };

  // ------------------------------------------------------------------ start

  var PANELS = { node2vec: Node2VecPanel, playground: PlaygroundPanel, knobs: KnobPanel };

  var CSS = [
    ".geomem-live { border: 1px solid #e3e3e3; border-radius: 6px; padding: 10px 12px; margin: 8px 0 16px; }",
    ".geomem-live-controls { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; }",
    ".geomem-live-control { display: inline-flex; align-items: center; gap: 6px; font-size: 0.85rem; margin: 0; }",
    ".geomem-live-control > span { min-width: 5.5em; color: #444; }",
    ".geomem-live-control input[type=range] { width: 130px; }",
    ".geomem-live-control select { max-width: 16em; font-size: 0.85rem; }",
    ".geomem-live-readout { min-width: 4.5em; font-variant-numeric: tabular-nums; color: #222; }",
    ".geomem-live-frames { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin-top: 8px; }",
    ".geomem-live button { font-size: 0.85rem; padding: 2px 10px; border: 1px solid #999; border-radius: 4px;",
    "  background: #f6f6f6; cursor: pointer; }",
    ".geomem-live-status { font-size: 0.8rem; color: #555; font-style: italic; margin: 6px 0 2px; min-height: 1.2em; }",
    ".geomem-live-figure { width: 100%; }",
  ].join("\n");

  function startAll() {
    if (!document.getElementById("geomem-live-css")) {
      var st = document.createElement("style");
      st.id = "geomem-live-css";
      st.textContent = CSS;
      document.head.appendChild(st);
    }
    var nodes = document.querySelectorAll("[data-geomem-live]");
    Array.prototype.forEach.call(nodes, function (root) {
      if (root.geomemPanel) return;
      var kind = root.getAttribute("data-geomem-live"), Panel = PANELS[kind];
      var src = root.querySelector('script[type="application/json"]');
      if (!Panel || !src) { console.error("geomem-live: unknown panel " + kind); return; }
      if (!window.Plotly) { console.error("geomem-live: plotly.js is not loaded on this page"); return; }
      root.geomemPanel = new Panel(root, JSON.parse(src.textContent));
    });
  }

  return {
    transition: transition, pathStar: pathStar, eigh: eigh, graphSpectrum: graphSpectrum,
    projections: projections, normalisedProfile: normalisedProfile, alignment: alignment, pca2d: pca2d,
    randomNormal: randomNormal, Node2VecTrainer: Node2VecTrainer, snapshotSchedule: snapshotSchedule,
    edgePairs: edgePairs, lrAt: lrAt, OneLayerTrainer: OneLayerTrainer, topKRecovery: topKRecovery,
    skewedLogits: skewedLogits, edgeMargin: edgeMargin, marginReport: marginReport, N_SPECIALS: N_SPECIALS,
    erf: erf, TransformerTrainer: TransformerTrainer, transformerShapes: transformerShapes,
    pageTransformer: pageTransformer, pageNet: pageNet, trainingCost: trainingCost,
    MambaTrainer: MambaTrainer, mambaShapes: mambaShapes, mambaDims: mambaDims, pageMamba: pageMamba,
    startAll: startAll,
  };
});
