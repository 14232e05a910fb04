// Aligned text as Go's text/tabwriter makes it, which kubectl's describe output relies on: cells are
// tab-terminated; consecutive lines that have a cell in a column form a block, padded to the block's
// widest cell plus the padding; the text after a line's last tab is not a cell and is never padded.
// A line without tabs ends every block, so sections align independently.

export function tabWrite(text: string, padding = 2): string {
  const lines = text.split('\n').map((line) => line.split('\t'))
  const widths: number[][] = lines.map(() => [])
  const format = (column: number, start: number, end: number): void => {
    let line = start
    while (line < end) {
      if (lines[line]!.length - 1 <= column) {
        line++
        continue
      }
      const blockStart = line
      let width = 0
      while (line < end && lines[line]!.length - 1 > column) {
        width = Math.max(width, lines[line]![column]!.length + padding)
        line++
      }
      for (let i = blockStart; i < line; i++) widths[i]![column] = width
      format(column + 1, blockStart, line)
    }
  }
  format(0, 0, lines.length)
  return lines
    .map((cells, i) =>
      cells.map((cell, c) => (c < cells.length - 1 ? cell.padEnd(widths[i]![c]!) : cell)).join(''),
    )
    .join('\n')
}
