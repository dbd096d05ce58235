/**
 * A canvas to draw a digit on with a mouse, a pen or a finger (pointer events), and its ink turned
 * into the network's input the way the training digits look: 28×28 pixels of ink in [0, 1] on a
 * dark background, the digit about 20 pixels tall and centred.
 */

/** Side of the network's input image. */
export const INPUT_SIDE = 28;
/**
 * Height of the digit's ink box in input pixels: the generated training digits are strokes in the
 * middle 0.64 of the box, scaled by 0.8–1.1, with a pen 0.07–0.13 of the side wide (digit-glyphs.ts).
 */
const INK_HEIGHT = 19;
/** Widest ink box, for wide scribbles. */
const INK_WIDTH_MAX = 22;

/** Pen width as a fraction of the pad's side. */
const PEN = 0.08;

/** A drawing surface that reports each change of the drawing. */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private inked = false;

  /** Draws on `canvas`; `onChange` runs while drawing (at most once per animation frame) and when a stroke ends. */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: () => void) {
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("DrawPad: no 2D canvas context");
    this.ctx = ctx;
    this.clear();
    let pending = false;
    const changed = (): void => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        this.onChange();
      });
    };
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.toCanvas(e);
      this.stroke(this.last, this.last);
      changed();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.last) return;
      const p = this.toCanvas(e);
      this.stroke(this.last, p);
      this.last = p;
      changed();
    });
    const end = (): void => {
      if (!this.last) return;
      this.last = null;
      this.onChange();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** Whether anything has been drawn since the last clear. */
  get empty(): boolean {
    return !this.inked;
  }

  /** Wipes the drawing. */
  clear(): void {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
  }

  /** The drawing as the network's 28×28 input, or null when nothing is drawn. */
  toInput(): Float32Array | null {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    let x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (let i = 0; i < ink.length; i++) {
      const v = rgba[4 * i] / 255; // white ink: the red channel
      ink[i] = v;
      if (v > 0.05) {
        const x = i % width, y = (i - x) / width;
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
    if (x1 < 0) return null;
    // Scale the ink box to INK_HEIGHT input pixels (less if it would be too wide), centred.
    const boxW = x1 - x0 + 1, boxH = y1 - y0 + 1;
    const scale = Math.min(INK_HEIGHT / boxH, INK_WIDTH_MAX / boxW); // input pixels per canvas pixel
    const cx = (x0 + x1 + 1) / 2, cy = (y0 + y1 + 1) / 2;
    return resample(ink, width, height, cx, cy, scale);
  }

  private toCanvas(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = "#fff";
    c.lineWidth = PEN * this.canvas.width;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x + 0.01, to.y); // a dot when from = to
    c.stroke();
    this.inked = true;
  }
}

/**
 * The 28×28 image whose centre shows canvas point (cx, cy), `scale` input pixels per canvas pixel:
 * each input pixel is the mean of the canvas pixels under it (an area average, so thin strokes
 * turn grey rather than vanish).
 */
function resample(ink: Float32Array, width: number, height: number, cx: number, cy: number, scale: number): Float32Array {
  const out = new Float32Array(INPUT_SIDE * INPUT_SIDE);
  const half = INPUT_SIDE / 2;
  for (let r = 0; r < INPUT_SIDE; r++) {
    // canvas rows [sy0, sy1) lie under input row r
    const sy0 = Math.max(0, Math.floor(cy + (r - half) / scale)), sy1 = Math.min(height, Math.floor(cy + (r + 1 - half) / scale));
    for (let c = 0; c < INPUT_SIDE; c++) {
      const sx0 = Math.max(0, Math.floor(cx + (c - half) / scale)), sx1 = Math.min(width, Math.floor(cx + (c + 1 - half) / scale));
      let sum = 0;
      for (let y = sy0; y < sy1; y++) for (let x = sx0; x < sx1; x++) sum += ink[y * width + x];
      const area = (sy1 - sy0) * (sx1 - sx0);
      out[r * INPUT_SIDE + c] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** Draws a 28×28 input image (ink in [0, 1]) into a canvas of that size. */
export function drawInput(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = ctx.createImageData(INPUT_SIDE, INPUT_SIDE);
  for (let i = 0; i < INPUT_SIDE * INPUT_SIDE; i++) {
    const v = Math.round(255 * (pixels?.[i] ?? 0));
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}
