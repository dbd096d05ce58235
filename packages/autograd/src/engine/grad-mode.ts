/** Global switches: whether ops record a graph, and whether anomaly detection is on. */

let gradEnabled = true;
let anomalyEnabled = false;

/** True when ops record the computation graph (the default). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Turns graph recording on or off globally; prefer the scoped `noGrad(fn)`. */
export function setGradEnabled(enabled: boolean): void {
  gradEnabled = enabled;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Runs `fn` without recording a graph (inference, optimizer updates). Synchronous only: an
 * async `fn` would leave the mode switched across its awaits.
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on, even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** True when anomaly detection is on. */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/** Turns anomaly detection on or off globally. */
export function setDetectAnomaly(enabled: boolean): void {
  anomalyEnabled = enabled;
}

/**
 * Runs `fn` with anomaly detection: every op remembers where it was created, and a NaN or Inf
 * appearing in a gradient during backward throws an error naming that op and its creation site.
 * Slow (it reads every gradient); use it to debug.
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = anomalyEnabled;
  anomalyEnabled = true;
  try {
    return fn();
  } finally {
    anomalyEnabled = previous;
  }
}
