/**
 * Float32Arrays for the native kernels' outputs, recycled when their tensors are disposed.
 *
 * A fresh typed array of a few MiB costs more than the kernel that fills it (the allocator hands out new zeroed
 * pages: about 0.6 ms for the 3.2 MB of one resnet20 activation at batch 64, where a ReLU over it takes 0.3 ms),
 * and a training step makes the same shapes every time. So a disposed output's array waits here, by length, for
 * the next output of that length. Only arrays this pool made come back to it (never a user's array that a tensor
 * was made from), each at most once, up to `capBytes` held in all; small arrays are left to the JS heap.
 *
 * A recycled array holds old values: every native kernel writes each element of its outputs. With `poison`, every
 * array of any length is recycled and filled with NaN first, so that a test shows a kernel that does not.
 */
export class BufferPool {
  /** Arrays shorter than this are allocated fresh (cheap on the JS heap), unless poisoning. */
  static readonly MIN_LENGTH = 4096;
  private readonly minLength: number;
  private readonly free = new Map<number, Float32Array[]>();
  private readonly made = new WeakSet<Float32Array>();
  private readonly waiting = new WeakSet<Float32Array>();
  private held = 0;

  constructor(
    private readonly capBytes: number,
    private readonly poison = false,
  ) {
    this.minLength = poison ? 1 : BufferPool.MIN_LENGTH;
  }

  /** An array of `length` floats: a recycled one when one waits, else a new one (zeroed). */
  take(length: number): Float32Array {
    if (length < this.minLength) return new Float32Array(length);
    const recycled = this.free.get(length)?.pop();
    if (recycled !== undefined) {
      this.waiting.delete(recycled);
      this.held -= recycled.byteLength;
      if (this.poison) recycled.fill(Number.NaN);
      return recycled;
    }
    const fresh = new Float32Array(length);
    this.made.add(fresh);
    return fresh;
  }

  /** Whether `values` came from this pool (so may be handed out again once its tensor is gone). */
  owns(values: unknown): boolean {
    return values instanceof Float32Array && this.made.has(values);
  }

  /** Takes back an array whose tensor was disposed; ignores arrays it did not make, and any over the cap. */
  give(values: unknown): void {
    if (!this.owns(values)) return;
    const array = values as Float32Array;
    if (this.waiting.has(array) || this.held + array.byteLength > this.capBytes) return;
    let list = this.free.get(array.length);
    if (list === undefined) this.free.set(array.length, (list = []));
    list.push(array);
    this.waiting.add(array);
    this.held += array.byteLength;
  }

  /** Bytes of the arrays waiting to be reused. */
  get heldBytes(): number {
    return this.held;
  }

  /** Drops every waiting array (the garbage collector frees them). */
  clear(): void {
    this.free.clear();
    this.held = 0;
  }
}
