/**
 * Go's text/tabwriter as docker configures it (minwidth 10, tabwidth 1,
 * padding 3, padchar ' '): tab-terminated cells are aligned per column;
 * the text after a line's last tab is not padded.
 */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split('\n');
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) {
    for (let c = 0; c < row.length - 1; c++) widths[c] = Math.max(widths[c] ?? minWidth, displayWidth(row[c]!) + padding);
  }
  return cells
    .map((row) => row.map((cell, c) => (c < row.length - 1 ? cell + ' '.repeat(Math.max(0, widths[c]! - displayWidth(cell))) : cell)).join(''))
    .join('\n');
}

function displayWidth(s: string): number {
  let n = 0;
  for (const ch of s) n += ch.codePointAt(0)! > 0x1100 && /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return n;
}
