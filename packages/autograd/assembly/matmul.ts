/**
 * Packed, cache-blocked matrix product C += A·B with SIMD register tiles (the BLIS scheme).
 *
 * The host packs the operands before calling in (that copy from arbitrary strides IS the
 * packing step), so these loops never see a stride:
 * - A is cut into strips of MR rows; strip s holds, for p = 0..k-1, the MR values a[s·MR+r, p]
 *   (k·MR elements, rows past m zero-filled).
 * - B is cut into strips of NR columns; strip t holds, for p = 0..k-1, the NR values
 *   b[p, t·NR+c] (k·NR elements, columns past n zero-filled).
 * - C is row-major with ldc (a multiple of NR) elements per row and a multiple of MR rows, so
 *   edge tiles need no special case: the host copies the valid m×n corner out.
 * The loops walk column strips [j0, j1) and row strips [i0, i1), so threads can split either.
 */

// Register tiles: MR rows × two v128 vectors of columns (NR = 8 f32 / 4 f64), as big as x64's
// registers allow: V8 keeps 15 of the 16 xmm registers for values and issues a tile's loads at
// the top of each k-step, so accumulators, B vectors and the splat A values must all fit at once.
// - Plain build: 4 rows, 8 accumulators, 2 B vectors, 4 broadcast-loaded A values (14 live).
// - FMA build (relaxed SIMD): 5 rows, 10 accumulators. An FMA has 4–5 cycles of latency and x64
//   cores retire two per cycle, so 8 independent accumulator chains left the kernel latency-bound
//   (~29 GFLOP/s f32 on one core) where 10 reach ~32–36. Rows 0..3 of A arrive in one f32x4 (two
//   f64x2) load and are splat by lane shuffles, which V8 emits right before their use, and row 4
//   is a broadcast load: 15 live. (Shuffle-splats in the plain build spill: mul+add needs a
//   temporary register, and 4 rows of broadcasts is its fastest.)
export const MR_F32: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
export const NR_F32: i32 = 8;
export const MR_F64: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
export const NR_F64: i32 = 4;

// Block sizes: a KC×NR micro-panel of B stays in L1, an MC×KC block of A in L2, and a KC×NC
// panel of B in L2/L3.
const KC: i32 = 256;
const MC_STRIPS: i32 = 64 / MR_F32; // MC = 64 (60 in the FMA build) rows
const NC_STRIPS: i32 = 128; // NC = 1024 (f32) / 512 (f64) columns

/** The tile's rows for element type T (f32 or f64). */
// @ts-ignore: decorator
@inline function mr<T>(): i32 {
  return sizeof<T>() == 4 ? MR_F32 : MR_F64;
}

/** The tile's columns for element type T: two v128 vectors. */
// @ts-ignore: decorator
@inline function nr<T>(): i32 {
  return 32 / <i32>sizeof<T>();
}

/** c + a·b per lane: one fused (or, at the engine's choice, rounded twice) op in the FMA build. */
// @ts-ignore: decorator
@inline function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(c, v128.mul<T>(a, b));
}

/**
 * A's value of row r (0..3, a constant) at this k-step, in all lanes. FMA build: by a lane
 * shuffle of `lo` (rows 0..3 of f32, rows 0..1 of f64) or `hi` (rows 2..3 of f64); plain build:
 * a broadcast load.
 */
// @ts-ignore: decorator
@inline function rowOfA<T>(a: usize, lo: v128, hi: v128, r: i32): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (sizeof<T>() == 4) {
      if (r == 0) return v128.shuffle<i32>(lo, lo, 0, 0, 0, 0);
      if (r == 1) return v128.shuffle<i32>(lo, lo, 1, 1, 1, 1);
      if (r == 2) return v128.shuffle<i32>(lo, lo, 2, 2, 2, 2);
      return v128.shuffle<i32>(lo, lo, 3, 3, 3, 3);
    }
    if (r == 0) return v128.shuffle<i64>(lo, lo, 0, 0);
    if (r == 1) return v128.shuffle<i64>(lo, lo, 1, 1);
    if (r == 2) return v128.shuffle<i64>(hi, hi, 0, 0);
    return v128.shuffle<i64>(hi, hi, 1, 1);
  }
  // (the offset as the load's immediate, not added to the address: one instruction less per row)
  if (r == 0) return v128.load_splat<T>(a);
  if (r == 1) return v128.load_splat<T>(a, sizeof<T>());
  if (r == 2) return v128.load_splat<T>(a, 2 * sizeof<T>());
  return v128.load_splat<T>(a, 3 * sizeof<T>());
}

/** Writes one tile row (two vectors) to c, added to what is there if `accumulate`. */
// @ts-ignore: decorator
@inline function storeRow<T>(c: usize, x0: v128, x1: v128, accumulate: bool): void {
  if (accumulate) {
    x0 = v128.add<T>(x0, v128.load(c));
    x1 = v128.add<T>(x1, v128.load(c, 16));
  }
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

/** One MR×NR tile: C[0..MR, 0..NR] (+)= Σ_p a[p, 0..MR] ⊗ b[p, 0..NR] over kc steps. */
function tile<T>(a: usize, b: usize, c: usize, kc: i32, ldcBytes: usize, accumulate: bool): void {
  let c00 = v128.splat<T>(0), c01 = v128.splat<T>(0);
  let c10 = v128.splat<T>(0), c11 = v128.splat<T>(0);
  let c20 = v128.splat<T>(0), c21 = v128.splat<T>(0);
  let c30 = v128.splat<T>(0), c31 = v128.splat<T>(0);
  let c40 = v128.splat<T>(0), c41 = v128.splat<T>(0); // FMA build only
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const lo = ASC_FEATURE_RELAXED_SIMD ? v128.load(a) : b0; // (unused by the plain build)
    const hi = ASC_FEATURE_RELAXED_SIMD && sizeof<T>() == 8 ? v128.load(a, 16) : lo;
    let av = rowOfA<T>(a, lo, hi, 0);
    c00 = madd<T>(av, b0, c00);
    c01 = madd<T>(av, b1, c01);
    av = rowOfA<T>(a, lo, hi, 1);
    c10 = madd<T>(av, b0, c10);
    c11 = madd<T>(av, b1, c11);
    av = rowOfA<T>(a, lo, hi, 2);
    c20 = madd<T>(av, b0, c20);
    c21 = madd<T>(av, b1, c21);
    av = rowOfA<T>(a, lo, hi, 3);
    c30 = madd<T>(av, b0, c30);
    c31 = madd<T>(av, b1, c31);
    if (mr<T>() == 5) {
      av = v128.load_splat<T>(a, 4 * sizeof<T>());
      c40 = madd<T>(av, b0, c40);
      c41 = madd<T>(av, b1, c41);
    }
    a += <usize>mr<T>() * sizeof<T>();
    b += 32;
  }
  storeRow<T>(c, c00, c01, accumulate);
  storeRow<T>(c + ldcBytes, c10, c11, accumulate);
  storeRow<T>(c + 2 * ldcBytes, c20, c21, accumulate);
  storeRow<T>(c + 3 * ldcBytes, c30, c31, accumulate);
  if (mr<T>() == 5) storeRow<T>(c + 4 * ldcBytes, c40, c41, accumulate);
}

/**
 * C = A·B (C += A·B when `accumulate`) over row strips [i0, i1) and column strips [j0, j1); see
 * the file comment for layouts. Inlined into each caller, the convolution kernels included
 * (assembly/conv.ts), which run it on operands they packed themselves.
 */
// @ts-ignore: decorator
@inline export function gemm<T>(a: usize, b: usize, c: usize, k: i32, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32, accumulate: bool): void {
  const size = <usize>sizeof<T>();
  const ldcBytes = <usize>ldc * size;
  const aStrip = <usize>(k * mr<T>()) * size;
  const bStrip = <usize>(k * nr<T>()) * size;
  for (let jc = j0; jc < j1; jc += NC_STRIPS) {
    const jEnd = min(jc + NC_STRIPS, j1);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const pOffA = <usize>(pc * mr<T>()) * size;
      const pOffB = <usize>(pc * nr<T>()) * size;
      for (let ic = i0; ic < i1; ic += MC_STRIPS) {
        const iEnd = min(ic + MC_STRIPS, i1);
        for (let jr = jc; jr < jEnd; jr++) {
          const bp = b + <usize>jr * bStrip + pOffB;
          const cCol = c + <usize>(jr * nr<T>()) * size;
          for (let ir = ic; ir < iEnd; ir++) {
            tile<T>(a + <usize>ir * aStrip + pOffA, bp, cCol + <usize>(ir * mr<T>()) * ldcBytes, kc, ldcBytes, accumulate || pc > 0);
          }
        }
      }
    }
  }
}

/** C = A·B in f32 (see gemm). */
export function matmulF32(a: usize, b: usize, c: usize, k: i32, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  gemm<f32>(a, b, c, k, ldc, i0, i1, j0, j1, false);
}

/** C = A·B in f64 (see gemm). */
export function matmulF64(a: usize, b: usize, c: usize, k: i32, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  gemm<f64>(a, b, c, k, ldc, i0, i1, j0, j1, false);
}
