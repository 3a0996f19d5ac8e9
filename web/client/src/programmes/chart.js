// The dashboard's chart of coffee rounds over time, in plain SVG: one group of bars per
// round (pairs met, coffees booked, people sitting out), with a legend and axis labels.

const NS = "http://www.w3.org/2000/svg";
const SERIES = [
  { key: "pairs", label: "pairs", colour: "#1f6f78" },
  { key: "booked", label: "coffees booked", colour: "#8cc3ad" },
  { key: "sitting_out", label: "sitting out", colour: "#e6c463" },
];

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An SVG element charting `rounds` ([{round_no, pairs, booked, sitting_out}]). */
export function roundsChart(rounds) {
  const width = 640;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const top = 28;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...rounds.flatMap((r) => SERIES.map((s) => r[s.key])));
  const shown = rounds.slice(-20); // the latest 20 rounds
  const groupW = (width - left - 8) / Math.max(shown.length, 1);
  const barW = Math.min(18, (groupW - 8) / SERIES.length);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "rounds-chart" });
  root.append(svg("title", {}, `Coffee rounds over time: ${shown.map((r) => `round ${r.round_no}, ${r.pairs} pairs`).join("; ")}`));
  for (const tick of [...new Set([0, Math.ceil(max / 2), max])]) {
    const y = top + plotH - (tick / max) * plotH;
    root.append(svg("line", { x1: left, x2: width - 4, y1: y, y2: y, stroke: "#d9d4c9" }));
    root.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#56606b" }, String(tick)));
  }
  shown.forEach((round, i) => {
    const x0 = left + i * groupW + (groupW - barW * SERIES.length) / 2;
    SERIES.forEach((s, j) => {
      const h = (round[s.key] / max) * plotH;
      const bar = svg("rect", { x: x0 + j * barW, y: top + plotH - h, width: barW - 2, height: h, fill: s.colour });
      bar.append(svg("title", {}, `Round ${round.round_no}: ${round[s.key]} ${s.label}`));
      root.append(bar);
    });
    root.append(svg("text", { x: left + i * groupW + groupW / 2, y: height - 8, "text-anchor": "middle", "font-size": 11, fill: "#56606b" }, `#${round.round_no}`));
  });
  let lx = left;
  for (const s of SERIES) {
    root.append(svg("rect", { x: lx, y: 6, width: 10, height: 10, fill: s.colour }));
    root.append(svg("text", { x: lx + 14, y: 15, "font-size": 12, fill: "#1d2530" }, s.label));
    lx += 24 + s.label.length * 7;
  }
  return root;
}
