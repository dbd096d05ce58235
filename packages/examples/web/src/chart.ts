/** A small line chart on a canvas: a few series, axes with end labels, redrawn to the canvas's CSS size. */

/** One series: a line, or dots. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly dots?: boolean;
}

/** Fixed axis ranges; an axis without one fits its data. */
export interface ChartOptions {
  readonly series: readonly Series[];
  readonly x?: readonly [number, number];
  readonly y?: readonly [number, number];
  /** What the x axis counts, printed under its middle. */
  readonly xLabel?: string;
  /** How to print axis values (default: up to 3 significant digits). */
  readonly format?: (v: number) => string;
}

const PAD = { left: 40, right: 10, top: 22, bottom: 20 };

/** A line chart whose series are replaced or extended, then drawn on the next animation frame. */
export class LineChart {
  private readonly data: { xs: number[]; ys: number[] }[];
  private scheduled = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly options: ChartOptions) {
    this.data = options.series.map(() => ({ xs: [], ys: [] }));
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  /** Appends a point to series `i`. */
  push(i: number, x: number, y: number): void {
    this.data[i].xs.push(x);
    this.data[i].ys.push(y);
    this.redraw();
  }

  /** Replaces series `i`. */
  set(i: number, xs: readonly number[], ys: readonly number[]): void {
    this.data[i] = { xs: [...xs], ys: [...ys] };
    this.redraw();
  }

  /** Empties every series. */
  reset(): void {
    for (const d of this.data) d.xs.length = d.ys.length = 0;
    this.redraw();
  }

  private redraw(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private range(axis: "xs" | "ys", fixed: readonly [number, number] | undefined): [number, number] {
    if (fixed) return [fixed[0], fixed[1]];
    let lo = Infinity, hi = -Infinity;
    for (const d of this.data) for (const v of d[axis]) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    if (lo > hi) return [0, 1];
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  }

  private draw(): void {
    const ratio = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (w === 0 || h === 0) return;
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    const c = this.canvas.getContext("2d");
    if (!c) return;
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    c.clearRect(0, 0, w, h);
    const fmt = this.options.format ?? ((v: number) => String(Number(v.toPrecision(3))));
    const [x0, x1] = this.range("xs", this.options.x);
    const [y0, y1] = this.range("ys", this.options.y);
    const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (w - PAD.left - PAD.right);
    const py = (y: number) => h - PAD.bottom - ((y - y0) / (y1 - y0)) * (h - PAD.top - PAD.bottom);

    // axes and their end values
    c.strokeStyle = "#8884";
    c.lineWidth = 1;
    c.strokeRect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
    c.fillStyle = "#888";
    c.font = "11px system-ui, sans-serif";
    c.textAlign = "right";
    c.textBaseline = "middle";
    c.fillText(fmt(y1), PAD.left - 4, py(y1));
    c.fillText(fmt(y0), PAD.left - 4, py(y0));
    c.textBaseline = "top";
    c.textAlign = "left";
    c.fillText(fmt(x0), PAD.left, h - PAD.bottom + 4);
    c.textAlign = "right";
    c.fillText(fmt(x1), w - PAD.right, h - PAD.bottom + 4);
    if (this.options.xLabel) {
      c.textAlign = "center";
      c.fillText(this.options.xLabel, (PAD.left + w - PAD.right) / 2, h - PAD.bottom + 4);
    }

    // legend along the top
    c.textAlign = "left";
    c.textBaseline = "alphabetic";
    let lx = PAD.left;
    this.options.series.forEach((s) => {
      c.fillStyle = s.color;
      c.fillRect(lx, 8, 10, 3);
      c.fillText(s.label, lx + 14, 14);
      lx += 24 + c.measureText(s.label).width;
    });

    // the series, clipped to the plot area
    c.save();
    c.beginPath();
    c.rect(PAD.left, PAD.top, w - PAD.left - PAD.right, h - PAD.top - PAD.bottom);
    c.clip();
    this.options.series.forEach((s, i) => {
      const { xs, ys } = this.data[i];
      c.strokeStyle = c.fillStyle = s.color;
      c.lineWidth = 2;
      if (s.dots) {
        xs.forEach((x, k) => c.fillRect(px(x) - 1.5, py(ys[k]) - 1.5, 3, 3));
        return;
      }
      c.beginPath();
      xs.forEach((x, k) => (k === 0 ? c.moveTo(px(x), py(ys[k])) : c.lineTo(px(x), py(ys[k]))));
      c.stroke();
    });
    c.restore();
  }
}
