/**
 * Float32Arrays for the native kernels' outputs, recycled when nothing refers to them any more.
 *
 * A fresh typed array of a few MiB costs more than the kernel that fills it (the allocator hands out new zeroed
 * pages: about 0.6 ms for the 3.2 MB of one resnet20 activation at batch 64, where a ReLU over it takes 0.3 ms),
 * and a training step makes the same shapes every time. So an output's array waits here, by length, for the next
 * output of that length once no tensor refers to it.
 *
 * "Refers" is counted by memory, not by array object: the cpu backend's kernels, which run on our tensors, may store
 * a view of an input's array (`subarray`: Slice, StridedSlice, Unpack) or the very array (Complex, Real) under a new
 * tensor. The backend reports every array it stores (`retain`) and every one it drops (`release`); an array of ours
 * comes back for reuse when the count of stored arrays over its buffer falls to 0, so a recycled array is never
 * shared with a live tensor or view. Only arrays this pool made come back to it (never a user's array that a tensor
 * was made from), up to `capBytes` held in all; small arrays are left to the JS heap.
 *
 * A recycled array holds old values: every native kernel writes each element of its outputs. With `poison`, every
 * array of any length is recycled and filled with NaN first, so that a test shows a kernel that does not.
 */
export class BufferPool {
  /** Arrays shorter than this are allocated fresh (cheap on the JS heap), unless poisoning. */
  static readonly MIN_LENGTH = 4096;
  private readonly minLength: number;
  private readonly free = new Map<number, Float32Array[]>();
  /** The whole array the pool made over each of its buffers. */
  private readonly made = new WeakMap<ArrayBufferLike, Float32Array>();
  /** How many stored arrays (the array itself, or views of it) refer to each of our buffers. */
  private readonly references = new WeakMap<ArrayBufferLike, number>();
  private readonly waiting = new WeakSet<ArrayBufferLike>();
  private held = 0;

  constructor(
    private readonly capBytes: number,
    private readonly poison = false,
  ) {
    this.minLength = poison ? 1 : BufferPool.MIN_LENGTH;
  }

  /** An array of `length` floats that no tensor refers to: a recycled one when one waits, else a new one (zeroed). */
  take(length: number): Float32Array {
    if (length < this.minLength) return new Float32Array(length);
    const recycled = this.free.get(length)?.pop();
    if (recycled !== undefined) {
      this.waiting.delete(recycled.buffer);
      this.held -= recycled.byteLength;
      if (this.poison) recycled.fill(Number.NaN);
      return recycled;
    }
    const fresh = new Float32Array(length);
    this.made.set(fresh.buffer, fresh);
    return fresh;
  }

  /** Whether `values` is, or is a view of, an array this pool made (and may hand out again). */
  owns(values: unknown): boolean {
    return ArrayBuffer.isView(values) && this.made.has(values.buffer);
  }

  /** A tensor now stores `values`: while it does, the array under it is not handed out again. */
  retain(values: unknown): void {
    if (!this.owns(values)) return;
    const buffer = (values as ArrayBufferView).buffer;
    this.references.set(buffer, (this.references.get(buffer) ?? 0) + 1);
  }

  /** A tensor no longer stores `values`; the array under it waits for reuse once nothing else refers to it. */
  release(values: unknown): void {
    if (!this.owns(values)) return;
    const buffer = (values as ArrayBufferView).buffer;
    const left = (this.references.get(buffer) ?? 0) - 1;
    this.references.set(buffer, Math.max(left, 0));
    if (left === 0) this.recycle(this.made.get(buffer)!);
  }

  private recycle(array: Float32Array): void {
    if (this.waiting.has(array.buffer) || this.held + array.byteLength > this.capBytes) return;
    let list = this.free.get(array.length);
    if (list === undefined) this.free.set(array.length, (list = []));
    list.push(array);
    this.waiting.add(array.buffer);
    this.held += array.byteLength;
  }

  /** Bytes of the arrays waiting to be reused. */
  get heldBytes(): number {
    return this.held;
  }

  /** Drops every waiting array (the garbage collector frees them). */
  clear(): void {
    for (const list of this.free.values()) for (const array of list) this.waiting.delete(array.buffer);
    this.free.clear();
    this.held = 0;
  }
}
