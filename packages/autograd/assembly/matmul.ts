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

// f32: a 4×8 tile = 8 accumulators of f32x4. f64: a 4×4 tile = 8 accumulators of f64x2.
// With one broadcast A value and the B vectors that is 11 live v128 values: no spills on x64.
export const MR_F32: i32 = 4;
export const NR_F32: i32 = 8;
export const MR_F64: i32 = 4;
export const NR_F64: i32 = 4;

// Block sizes: a KC×NR micro-panel of B stays in L1, an MC×KC block of A in L2, and a KC×NC
// panel of B in L2/L3.
const KC: i32 = 256;
const MC_STRIPS: i32 = 16; // MC = 64 rows
const NC_STRIPS: i32 = 128; // NC = 1024 (f32) / 512 (f64) columns

/** One 4×8 f32 tile: C[0..4, 0..8] (+)= Σ_p a[p, 0..4] ⊗ b[p, 0..8] over kc steps. */
function tileF32(a: usize, b: usize, c: usize, kc: i32, ldcBytes: usize, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0));
    c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0));
    c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0));
    c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0));
    c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16;
    b += 32;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16)); c += ldcBytes;
    c10 = f32x4.add(c10, v128.load(c)); c11 = f32x4.add(c11, v128.load(c, 16)); c += ldcBytes;
    c20 = f32x4.add(c20, v128.load(c)); c21 = f32x4.add(c21, v128.load(c, 16)); c += ldcBytes;
    c30 = f32x4.add(c30, v128.load(c)); c31 = f32x4.add(c31, v128.load(c, 16));
    c -= 3 * ldcBytes;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldcBytes;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldcBytes;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldcBytes;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** One 4×4 f64 tile: C[0..4, 0..4] (+)= Σ_p a[p, 0..4] ⊗ b[p, 0..4] over kc steps. */
function tileF64(a: usize, b: usize, c: usize, kc: i32, ldcBytes: usize, accumulate: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(av, b0));
    c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0));
    c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0));
    c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0));
    c31 = f64x2.add(c31, f64x2.mul(av, b1));
    a += 32;
    b += 32;
  }
  if (accumulate) {
    c00 = f64x2.add(c00, v128.load(c)); c01 = f64x2.add(c01, v128.load(c, 16)); c += ldcBytes;
    c10 = f64x2.add(c10, v128.load(c)); c11 = f64x2.add(c11, v128.load(c, 16)); c += ldcBytes;
    c20 = f64x2.add(c20, v128.load(c)); c21 = f64x2.add(c21, v128.load(c, 16)); c += ldcBytes;
    c30 = f64x2.add(c30, v128.load(c)); c31 = f64x2.add(c31, v128.load(c, 16));
    c -= 3 * ldcBytes;
  }
  v128.store(c, c00); v128.store(c, c01, 16); c += ldcBytes;
  v128.store(c, c10); v128.store(c, c11, 16); c += ldcBytes;
  v128.store(c, c20); v128.store(c, c21, 16); c += ldcBytes;
  v128.store(c, c30); v128.store(c, c31, 16);
}

/** C = A·B (f32) over row strips [i0, i1) and column strips [j0, j1); see the file comment for layouts. */
export function matmulF32(a: usize, b: usize, c: usize, k: i32, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ldcBytes = <usize>ldc << 2;
  const aStrip = <usize>(k * MR_F32) << 2;
  const bStrip = <usize>(k * NR_F32) << 2;
  for (let jc = j0; jc < j1; jc += NC_STRIPS) {
    const jEnd = min(jc + NC_STRIPS, j1);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const pOffA = <usize>(pc * MR_F32) << 2;
      const pOffB = <usize>(pc * NR_F32) << 2;
      for (let ic = i0; ic < i1; ic += MC_STRIPS) {
        const iEnd = min(ic + MC_STRIPS, i1);
        for (let jr = jc; jr < jEnd; jr++) {
          const bp = b + <usize>jr * bStrip + pOffB;
          const cCol = c + (<usize>(jr * NR_F32) << 2);
          for (let ir = ic; ir < iEnd; ir++) {
            tileF32(a + <usize>ir * aStrip + pOffA, bp, cCol + <usize>(ir * MR_F32) * ldcBytes, kc, ldcBytes, pc > 0);
          }
        }
      }
    }
  }
}

/** C = A·B (f64) over row strips [i0, i1) and column strips [j0, j1); see the file comment for layouts. */
export function matmulF64(a: usize, b: usize, c: usize, k: i32, ldc: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ldcBytes = <usize>ldc << 3;
  const aStrip = <usize>(k * MR_F64) << 3;
  const bStrip = <usize>(k * NR_F64) << 3;
  for (let jc = j0; jc < j1; jc += NC_STRIPS) {
    const jEnd = min(jc + NC_STRIPS, j1);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const pOffA = <usize>(pc * MR_F64) << 3;
      const pOffB = <usize>(pc * NR_F64) << 3;
      for (let ic = i0; ic < i1; ic += MC_STRIPS) {
        const iEnd = min(ic + MC_STRIPS, i1);
        for (let jr = jc; jr < jEnd; jr++) {
          const bp = b + <usize>jr * bStrip + pOffB;
          const cCol = c + (<usize>(jr * NR_F64) << 3);
          for (let ir = ic; ir < iEnd; ir++) {
            tileF64(a + <usize>ir * aStrip + pOffA, bp, cCol + <usize>(ir * MR_F64) * ldcBytes, kc, ldcBytes, pc > 0);
          }
        }
      }
    }
  }
}
