/** `YYYY-MM-DD HH:mm:ss` in local time: the format m7s-jt1078 puts in callback bodies. */
export function formatCallbackTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** Seconds with millisecond precision, as m7s-jt1078 writes durations ("over time 47.243s"). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}
