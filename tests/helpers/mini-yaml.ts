/**
 * A strict reader for the small YAML subset our deployment files use (docker-compose.yml,
 * prometheus/, grafana/provisioning/): block mappings and sequences indented with spaces,
 * `- key: value` items, plain or quoted scalars, flow lists of scalars, and # comments. Anything
 * else throws with its line number, so a file that drifts outside the subset fails the test
 * rather than parsing to something else. (No YAML library is a dependency of the project.)
 */

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };
interface Line {
  no: number;
  indent: number;
  text: string;
}

/** The text before a # that starts a comment (outside quotes, after a space or at the start). */
function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) quote = ch === quote ? null : quote;
    else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || s[i - 1] === ' ')) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, no: number): Yaml {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return JSON.parse(s);
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return s.slice(1, -1).replaceAll("''", "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${no}: unterminated flow list`);
    const inner = s.slice(1, -1).trim();
    return inner === ''
      ? []
      : (inner.match(/"(?:[^"\\]|\\.)*"|'[^']*'|[^,]+/g) ?? []).map((x) => scalar(x, no));
  }
  if (/^[{&*!|>%@`]/.test(s)) throw new Error(`line ${no}: unsupported YAML: ${s}`);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

/** Splits `key: value` (or `key:`) outside quotes; null when the text is not a mapping entry. */
function splitKey(text: string): [string, string] | null {
  const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^"'\s][^:]*?):(?:\s+(.*))?$/.exec(text);
  if (!m) return null;
  const key = scalar(m[1] as string, 0);
  return [String(key), m[2] ?? ''];
}

function block(lines: Line[], i: number, indent: number): [Yaml, number] {
  const first = lines[i] as Line;
  if (first.indent !== indent) throw new Error(`line ${first.no}: bad indentation`);
  return first.text === '-' || first.text.startsWith('- ')
    ? sequence(lines, i, indent)
    : mapping(lines, i, indent);
}

/** The value after `key:` or `-` with nothing on its line: the deeper block below, or null. */
function nested(lines: Line[], i: number, indent: number, allowSameIndentList: boolean): [Yaml, number] {
  const next = lines[i];
  if (next && next.indent > indent) return block(lines, i, next.indent);
  if (next && allowSameIndentList && next.indent === indent && next.text.startsWith('- ')) {
    return sequence(lines, i, indent);
  }
  return [null, i];
}

function mapping(lines: Line[], i: number, indent: number): [Yaml, number] {
  const out: { [k: string]: Yaml } = {};
  while (i < lines.length && (lines[i] as Line).indent === indent) {
    const line = lines[i] as Line;
    if (line.text.startsWith('- ')) break;
    const kv = splitKey(line.text);
    if (!kv) throw new Error(`line ${line.no}: expected "key: value", got ${line.text}`);
    if (kv[0] in out) throw new Error(`line ${line.no}: duplicate key ${kv[0]}`);
    if (kv[1] !== '') {
      out[kv[0]] = scalar(kv[1], line.no);
      i++;
    } else [out[kv[0]], i] = nested(lines, i + 1, indent, true);
  }
  return [out, i];
}

function sequence(lines: Line[], i: number, indent: number): [Yaml, number] {
  const out: Yaml[] = [];
  while (i < lines.length && (lines[i] as Line).indent === indent) {
    const line = lines[i] as Line;
    if (line.text !== '-' && !line.text.startsWith('- ')) break;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      const [v, next] = nested(lines, i + 1, indent, false);
      out.push(v);
      i = next;
    } else if (splitKey(rest) && !rest.startsWith('"') && !rest.startsWith("'")) {
      // `- key: value` opens a mapping whose entries line up with `key`.
      const inner = indent + (line.text.length - rest.length);
      const copy = [...lines];
      copy[i] = { no: line.no, indent: inner, text: rest };
      const [v, next] = mapping(copy, i, inner);
      out.push(v);
      i = next;
    } else {
      out.push(scalar(rest, line.no));
      i++;
    }
  }
  return [out, i];
}

/** Parses the YAML subset described above; throws naming the line of anything else. */
export function parseYaml(text: string): Yaml {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, n) => {
    if (raw.includes('\t')) throw new Error(`line ${n + 1}: tab`);
    const body = stripComment(raw).trimEnd();
    if (body.trim() === '' || body.trim() === '---') return;
    lines.push({ no: n + 1, indent: body.length - body.trimStart().length, text: body.trim() });
  });
  if (lines.length === 0) return null;
  const [value, end] = block(lines, 0, (lines[0] as Line).indent);
  if (end !== lines.length) throw new Error(`line ${(lines[end] as Line).no}: unexpected indentation`);
  return value;
}
