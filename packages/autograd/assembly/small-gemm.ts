/**
 * Small-k matrix product C = A·B (+ bias) over row-major operands the host copied in
 * (src/backend/wasm/small-gemm.ts), for products whose inner dim k is small (≤ 64), such as a
 * decoder Linear 32 → 3985 over 700 rows. With k that small the packed GEMM (matmul.ts) spends
 * more time packing B, padding C to whole tiles and unpacking it than multiplying, so here A's
 * values are broadcast straight from its rows and B's rows are streamed as they lie: a register
 * tile of 4 rows × 2 vectors of C (8 f32 / 4 f64 columns) runs over all of k, adds the bias row
 * (when there is one) and is stored once, unpadded, so the host copies C out in one block.
 *
 * Columns are walked in blocks of NB so a block's k×NB slice of B stays in cache while every row
 * range passes over it. Sums are accumulated in the element type (as matmul.ts), with fused
 * multiply-adds in the relaxed-SIMD build. `transposeF32` turns a column-major operand the host
 * copied in whole into the row-major layout the product reads. Exported for float32 only (the
 * kernels are generic over T): float64 products stay on the packed GEMM, keeping the module small.
 */

/** Columns of C per cache block (the block's slice of B is k × NB values). */
const NB_BYTES: i32 = 1024;

/** c + a·b per lane, fused in the FMA build (as matmul.ts). */
// @ts-ignore: decorator
@inline function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(c, v128.mul<T>(a, b));
}

/** One value of type T broadcast to all lanes. */
// @ts-ignore: decorator
@inline function splatAt<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p);
}

/**
 * Rows i..i+3, columns j..j+2L−1 (L lanes): Σ_p A[i+r, p]·B[p, j..] over all k, plus the bias
 * row when `bias` ≠ 0, stored to C (ldc values per row). B's two vectors of row p are at
 * bp + p·bStep: B's own rows (bStep = its row length) or a packed strip (bStep = 32 bytes).
 */
// @ts-ignore: decorator
@inline function tile4<T>(a: usize, bp: usize, bStep: usize, bias: usize, c: usize, k: i32, ldc: i32, i: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  const lda = <usize>k * es;
  const ldcBytes = <usize>ldc * es;
  let a0 = a + <usize>i * lda;
  let c00 = v128.splat<T>(0), c01 = v128.splat<T>(0), c10 = v128.splat<T>(0), c11 = v128.splat<T>(0);
  let c20 = v128.splat<T>(0), c21 = v128.splat<T>(0), c30 = v128.splat<T>(0), c31 = v128.splat<T>(0);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let av = splatAt<T>(a0);
    c00 = madd<T>(av, b0, c00);
    c01 = madd<T>(av, b1, c01);
    av = splatAt<T>(a0 + lda);
    c10 = madd<T>(av, b0, c10);
    c11 = madd<T>(av, b1, c11);
    av = splatAt<T>(a0 + 2 * lda);
    c20 = madd<T>(av, b0, c20);
    c21 = madd<T>(av, b1, c21);
    av = splatAt<T>(a0 + 3 * lda);
    c30 = madd<T>(av, b0, c30);
    c31 = madd<T>(av, b1, c31);
    a0 += es;
    bp += bStep;
  }
  if (bias != 0) {
    const v0 = v128.load(bias + <usize>j * es);
    const v1 = v128.load(bias + <usize>j * es, 16);
    c00 = v128.add<T>(c00, v0); c01 = v128.add<T>(c01, v1);
    c10 = v128.add<T>(c10, v0); c11 = v128.add<T>(c11, v1);
    c20 = v128.add<T>(c20, v0); c21 = v128.add<T>(c21, v1);
    c30 = v128.add<T>(c30, v0); c31 = v128.add<T>(c31, v1);
  }
  const cp = c + (<usize>i * <usize>ldc + <usize>j) * es;
  v128.store(cp, c00); v128.store(cp, c01, 16);
  v128.store(cp + ldcBytes, c10); v128.store(cp + ldcBytes, c11, 16);
  v128.store(cp + 2 * ldcBytes, c20); v128.store(cp + 2 * ldcBytes, c21, 16);
  v128.store(cp + 3 * ldcBytes, c30); v128.store(cp + 3 * ldcBytes, c31, 16);
}

/** Row i, one vector of columns j..j+L−1: as tile4 for a single row and vector (row and column edges). */
// @ts-ignore: decorator
@inline function tile1<T>(a: usize, bp: usize, bStep: usize, bias: usize, c: usize, k: i32, ldc: i32, i: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  let ap = a + <usize>i * <usize>k * es;
  let acc = v128.splat<T>(0);
  for (let p = 0; p < k; p++) {
    acc = madd<T>(splatAt<T>(ap), v128.load(bp), acc);
    ap += es;
    bp += bStep;
  }
  if (bias != 0) acc = v128.add<T>(acc, v128.load(bias + <usize>j * es));
  v128.store(c + (<usize>i * <usize>ldc + <usize>j) * es, acc);
}

/** C[i, j] for one value (the last n mod L columns), in scalar arithmetic. */
// @ts-ignore: decorator
@inline function one<T>(a: usize, b: usize, bias: usize, c: usize, k: i32, n: i32, i: i32, j: i32): void {
  const es = <usize>sizeof<T>();
  let ap = a + <usize>i * <usize>k * es;
  let bp = b + <usize>j * es;
  let s: T = <T>0;
  for (let p = 0; p < k; p++) {
    s += load<T>(ap) * load<T>(bp);
    ap += es;
    bp += <usize>n * es;
  }
  if (bias != 0) s += load<T>(bias + <usize>j * es);
  store<T>(c + (<usize>i * <usize>n + <usize>j) * es, s);
}

// @ts-ignore: decorator
@inline function smallGemm<T>(a: usize, b: usize, bias: usize, c: usize, k: i32, n: i32, i0: i32, i1: i32): void {
  const es = <usize>sizeof<T>();
  const ldb = <usize>n * es;
  const lanes = 16 / <i32>sizeof<T>();
  const nb = NB_BYTES / <i32>sizeof<T>();
  const nVec = n - (n % lanes); // columns in whole vectors
  const rows4 = i0 + ((i1 - i0) & ~3);
  for (let jb = 0; jb < nVec; jb += nb) {
    const je = min(jb + nb, nVec);
    const je2 = je - ((je - jb) % (2 * lanes)); // columns in whole two-vector tiles
    for (let i = i0; i < rows4; i += 4) {
      for (let j = jb; j < je2; j += 2 * lanes) tile4<T>(a, b + <usize>j * es, ldb, bias, c, k, n, i, j);
      if (je2 < je) for (let r = 0; r < 4; r++) tile1<T>(a, b + <usize>je2 * es, ldb, bias, c, k, n, i + r, je2);
    }
    for (let i = rows4; i < i1; i++) {
      for (let j = jb; j < je; j += lanes) tile1<T>(a, b + <usize>j * es, ldb, bias, c, k, n, i, j);
    }
  }
  for (let i = i0; i < i1; i++) for (let j = nVec; j < n; j++) one<T>(a, b, bias, c, k, n, i, j);
}

/**
 * Rows i0..i1−1 of C [m, n] = A [m, k] · B [k, n] (+ the row bias [n] when bias ≠ 0), float32;
 * every operand row-major and unpadded. B's rows are read as vectors from any address.
 */
export function smallGemmF32(a: usize, b: usize, bias: usize, c: usize, k: i32, n: i32, i0: i32, i1: i32): void {
  smallGemm<f32>(a, b, bias, c, k, n, i0, i1);
}


/** Bytes of packed B strips kept in cache while every row tile passes over them. */
const PACKED_BLOCK_BYTES: i32 = 16384;

/**
 * Rows i0..i1−1 of C [m, nP] = A [m, k] · B (+ the row bias [nP] when bias ≠ 0), float32, with B
 * packed into strips of 8 columns as the packed GEMM's (assembly/pack.ts: strip s holds, for
 * p = 0..k−1, B[p, 8s..8s+7], zero past n) and C's rows nP = 8·strips long. Row-major B with
 * rows a multiple of 4 KiB apart (n = 1024) walks one cache set per column block and runs at half
 * speed; a strip is read front to back instead.
 */
export function smallGemmPackedF32(a: usize, b: usize, bias: usize, c: usize, k: i32, nP: i32, i0: i32, i1: i32): void {
  const strips = nP >> 3;
  const stripBytes = <usize>k << 5;
  const block = max(1, PACKED_BLOCK_BYTES / <i32>stripBytes);
  const rows4 = i0 + ((i1 - i0) & ~3);
  for (let s0 = 0; s0 < strips; s0 += block) {
    const s1 = min(s0 + block, strips);
    for (let i = i0; i < rows4; i += 4) {
      for (let s = s0; s < s1; s++) tile4<f32>(a, b + <usize>s * stripBytes, 32, bias, c, k, nP, i, s << 3);
    }
    for (let i = rows4; i < i1; i++) {
      for (let s = s0; s < s1; s++) {
        tile1<f32>(a, b + <usize>s * stripBytes, 32, bias, c, k, nP, i, s << 3);
        tile1<f32>(a, b + <usize>s * stripBytes + 16, 32, bias, c, k, nP, i, (s << 3) + 4);
      }
    }
  }
}

/**
 * dst [cols, rows] = the transpose of src [rows, cols] (both row-major), float32: 4×4 blocks
 * transposed in registers by lane shuffles, the ragged edges one value at a time.
 */
export function transposeF32(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  const rs = <usize>cols << 2; // src row bytes
  const ds = <usize>rows << 2; // dst row bytes
  for (let r = 0; r < rows4; r += 4) {
    const s0 = src + <usize>r * rs;
    for (let c = 0; c < cols4; c += 4) {
      const p = s0 + (<usize>c << 2);
      const r0 = v128.load(p), r1 = v128.load(p + rs), r2 = v128.load(p + 2 * rs), r3 = v128.load(p + 3 * rs);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
      const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
      const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
      const q = dst + <usize>c * ds + (<usize>r << 2);
      v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(q + ds, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
      v128.store(q + 2 * ds, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
      v128.store(q + 3 * ds, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
    }
    for (let rr = r; rr < r + 4; rr++) for (let c = cols4; c < cols; c++) store<f32>(dst + <usize>c * ds + (<usize>rr << 2), load<f32>(s0 + <usize>(rr - r) * rs + (<usize>c << 2)));
  }
  for (let r = rows4; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * ds + (<usize>r << 2), load<f32>(src + <usize>r * rs + (<usize>c << 2)));
  }
}
