/**
 * Batched small product C[b] = A[b]·B[b] for many small matrices at once (attention's q·kᵀ and
 * weights·v over batch × heads, and their gradients), float32. The host
 * (src/backend/wasm/batched-gemm.ts) copies the span of memory each operand covers in one block
 * and passes each batch entry's element offsets; here every entry is gathered from its strides
 * into row-major scratch (skipped when it already is row-major) and multiplied by small-gemm.ts's
 * kernel, so a batch of 64 heads is one call instead of 64 rounds of host copies.
 */

import { smallGemmF32 } from "./small-gemm";

/** dst [rows, cols] row-major from src with row stride rs and column stride cs (in elements). */
// @ts-ignore: decorator
@inline function gather(src: usize, dst: usize, rows: i32, cols: i32, rs: i32, cs: i32): void {
  if (cs == 1) {
    for (let i = 0; i < rows; i++) memory.copy(dst + (<usize>(i * cols) << 2), src + (<usize>(i * rs) << 2), <usize>cols << 2);
    return;
  }
  for (let i = 0; i < rows; i++) {
    const s = src + (<usize>(i * rs) << 2);
    const d = dst + (<usize>(i * cols) << 2);
    for (let j = 0; j < cols; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>(j * cs) << 2)));
  }
}

/**
 * For each of `batches` entries e: C_e [m, n] = A_e [m, k] · B_e [k, n], C_e stored row-major at
 * c + e·m·n. A_e starts at element offs[2e] of a (strides sam, sak), B_e at element offs[2e+1] of
 * b (strides sbk, sbn); offs is an i32 array. pa and pb are scratch for one entry's A and B.
 */
export function batchedGemmF32(
  a: usize, b: usize, c: usize, offs: usize, pa: usize, pb: usize, batches: i32,
  m: i32, k: i32, n: i32, sam: i32, sak: i32, sbk: i32, sbn: i32,
): void {
  const aPacked = sak == 1 && (sam == k || m == 1);
  const bPacked = sbn == 1 && (sbk == n || k == 1);
  let lastB = -1;
  for (let e = 0; e < batches; e++) {
    const ao = load<i32>(offs + (<usize>e << 3));
    const bo = load<i32>(offs + (<usize>e << 3), 4);
    let ap = a + (<usize>ao << 2);
    if (!aPacked) {
      gather(ap, pa, m, k, sam, sak);
      ap = pa;
    }
    let bp = b + (<usize>bo << 2);
    if (!bPacked) {
      if (bo != lastB) gather(bp, pb, k, n, sbk, sbn); // a broadcast B is gathered once
      bp = pb;
    }
    lastB = bo;
    smallGemmF32(ap, bp, 0, c + (<usize>e * <usize>m * <usize>n << 2), k, n, 0, m);
  }
}
