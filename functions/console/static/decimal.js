// Decimal strings, exactly, as the engine reports them (a float would send 1.1% as
// 0.011000000000000001, which the API refuses, and would round a sum of fees).

function decimalParts(text) {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  return match ? { sign: match[1], whole: match[2] || "0", fraction: match[3] || "" } : null;
}

export function percentToFraction(text) {
  // "1.1" -> "0.011"; anything that is not a plain decimal goes to the API as it is, to be refused there.
  const parts = decimalParts(text);
  if (!parts) return String(text).trim();
  const digits = (parts.whole.padStart(3, "0") + parts.fraction).replace(/^0+(?=\d)/, "");
  const scale = parts.fraction.length + 2;
  const padded = digits.padStart(scale + 1, "0");
  const fraction = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`.replace(/\.?0+$/, "");
  return parts.sign + (fraction === "" ? "0" : fraction);
}

export function addDecimals(a, b) {
  const [x, y] = [decimalParts(a), decimalParts(b)];
  if (!x || !y) return NaN;
  const scale = Math.max(x.fraction.length, y.fraction.length);
  const units = (p) => BigInt(p.sign + p.whole + p.fraction.padEnd(scale, "0"));
  const sum = (units(x) + units(y)).toString();
  const negative = sum.startsWith("-");
  const digits = (negative ? sum.slice(1) : sum).padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (negative ? "-" : "") + text;
}
