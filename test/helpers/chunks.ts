// Cutting a byte stream into chunks, as a socket may deliver it (the parser tests share this).

/** Cuts `buf` before every index of `at` (sorted, deduplicated, inside the buffer). */
export function cutAt(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.filter((i) => i > 0 && i < buf.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}
