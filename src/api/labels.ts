/**
 * Label selectors, as `k8s.io/apimachinery/pkg/labels`: the string syntax (equality- and
 * set-based, plus `>`/`<`), `metav1.LabelSelector` conversion, matching and canonical printing.
 *
 * A Selector is compiled once into a closure; `matches` does no allocation, so filtering a list
 * of 100k objects costs one property read per requirement per object.
 * Parse errors throw StatusError BadRequest with Kubernetes' wording
 * (`unable to parse requirement: ...`, `found ',', expected: ...`).
 */
import type { LabelSelector } from './types.js';
import { StatusError } from './status-error.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';
import { goQuote } from './validation/field-errors.js';

export type Labels = Readonly<Record<string, string>> | undefined | null;

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  /** Sorted, de-duplicated. One value for `=`, `==`, `!=`, `gt`, `lt`; none for `exists`/`!`. */
  readonly values: readonly string[];
}

type Matcher = (labels: Readonly<Record<string, string>>) => boolean;

/** Inherited Object.prototype members are never strings, so a typeof check suffices. */
function labelOf(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  const v = labels[key];
  return typeof v === 'string' ? v : undefined;
}

function compileRequirement(r: Requirement): Matcher {
  const { key, values } = r;
  switch (r.operator) {
    case '=':
    case '==': {
      const want = values[0];
      return (l) => labelOf(l, key) === want;
    }
    case 'in': {
      if (values.length === 1) {
        const want = values[0];
        return (l) => labelOf(l, key) === want;
      }
      const set = new Set(values);
      return (l) => {
        const v = labelOf(l, key);
        return v !== undefined && set.has(v);
      };
    }
    case '!=': {
      const not = values[0];
      return (l) => labelOf(l, key) !== not;
    }
    case 'notin': {
      const set = new Set(values);
      return (l) => {
        const v = labelOf(l, key);
        return v === undefined || !set.has(v);
      };
    }
    case 'exists':
      return (l) => labelOf(l, key) !== undefined;
    case '!':
      return (l) => labelOf(l, key) === undefined;
    case 'gt':
    case 'lt': {
      const bound = Number.parseInt(values[0], 10);
      const gt = r.operator === 'gt';
      return (l) => {
        const v = labelOf(l, key);
        if (v === undefined || !/^[-+]?\d+$/.test(v)) return false;
        const n = Number.parseInt(v, 10);
        return gt ? n > bound : n < bound;
      };
    }
  }
}

function compile(reqs: readonly Requirement[]): Matcher {
  const ms = reqs.map(compileRequirement);
  switch (ms.length) {
    case 0:
      return () => true;
    case 1:
      return ms[0];
    case 2: {
      const [a, b] = ms;
      return (l) => a(l) && b(l);
    }
    default:
      return (l) => {
        for (let i = 0; i < ms.length; i++) if (!ms[i](l)) return false;
        return true;
      };
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

export class Selector {
  private readonly matcher: Matcher;
  private text: string | undefined;

  /** Use parseSelector / selectorFromLabelSelector / selectorFromSet; requirements must be valid. */
  constructor(
    readonly requirements: readonly Requirement[],
    private readonly nothing = false,
  ) {
    this.matcher = nothing ? () => false : compile(requirements);
  }

  private static readonly all = new Selector([]);
  private static readonly none = new Selector([], true);

  /** Matches every label set (the empty selector). */
  static everything(): Selector {
    return Selector.all;
  }

  /** Matches nothing: what a nil `metav1.LabelSelector` converts to. */
  static nothing(): Selector {
    return Selector.none;
  }

  matches(labels: Labels): boolean {
    return this.matcher(labels ?? EMPTY);
  }

  /** True when it matches everything. */
  isEmpty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** True for Selector.nothing(). */
  matchesNothing(): boolean {
    return this.nothing;
  }

  /** The value `key` must equal for a match (`key=v`, `key==v`, `key in (v)`), if any: for indexes. */
  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if (r.operator === '=' || r.operator === '==' || (r.operator === 'in' && r.values.length === 1)) return r.values[0];
    }
    return undefined;
  }

  /** Canonical form: requirements sorted by key, set values sorted (`a=b,c in (x,y),!d`). */
  toString(): string {
    if (this.text === undefined) this.text = this.requirements.map(requirementString).join(',');
    return this.text;
  }

  /** A new selector with more requirements (AND). */
  add(...reqs: Requirement[]): Selector {
    if (this.nothing) return this;
    return new Selector(sortByKey([...this.requirements, ...reqs]));
  }
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  // Array.prototype.sort is stable: equal keys keep their order, as Go's sort of a parse does
  // in practice for distinct keys.
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The requirements of a selector, e.g. for an index to use its equality parts. */
export function requirementsOf(selector: Selector): readonly Requirement[] {
  return selector.requirements;
}

/** The `key=value` pairs every match must have (from `=`, `==` and one-value `in`). */
export function exactMatchesOf(selector: Selector): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of selector.requirements) {
    if (r.operator === '=' || r.operator === '==' || (r.operator === 'in' && r.values.length === 1)) out.set(r.key, r.values[0]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Requirement construction with Kubernetes' validation messages
// ---------------------------------------------------------------------------------------------

const quoteGo = goQuote;

function keyError(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? `${path}: Invalid value: ${quoteGo(key)}: ${errs.join('; ')}` : undefined;
}

function valuesRepr(vals: readonly string[]): string {
  return `[]string{${vals.map(quoteGo).join(', ')}}`;
}

/**
 * Validates and builds one requirement (`labels.NewRequirement`). `path` prefixes field paths
 * in messages (Kubernetes prints `<nil>` for its parser's nil path).
 */
export function newRequirement(key: string, operator: Operator, values: readonly string[], path = ''): Requirement {
  const errs: string[] = [];
  const p = (name: string) => (path ? `${path}.${name}` : name);
  const ke = keyError(key, p('key'));
  if (ke) errs.push(ke);
  const vp = p('values');
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(`${vp}: Invalid value: ${valuesRepr(values)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(`${vp}: Invalid value: ${valuesRepr(values)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(`${vp}: Invalid value: ${valuesRepr(values)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(`${vp}: Invalid value: ${valuesRepr(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (!/^[-+]?\d+$/.test(v)) errs.push(`${vp}[${i}]: Invalid value: ${quoteGo(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
    default:
      errs.push(`${p('operator')}: Unsupported value: ${quoteGo(operator)}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`);
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(`${vp}[${i}][${key}]: Invalid value: ${quoteGo(v)}: ${ve.join('; ')}`);
  });
  if (errs.length) throw new StatusError('BadRequest', errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
  const sorted = operator === 'in' || operator === 'notin' ? [...new Set(values)].sort() : [...values];
  return { key, operator, values: sorted };
}

// ---------------------------------------------------------------------------------------------
// The string parser (a lexer + recursive descent, same grammar and messages as Kubernetes)
// ---------------------------------------------------------------------------------------------

const enum Tok {
  Error,
  EOS,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

interface Item {
  tok: Tok;
  lit: string;
}

const symbols: Record<string, Tok> = {
  ')': Tok.ClosedPar,
  ',': Tok.Comma,
  '!': Tok.DoesNotExist,
  '==': Tok.DoubleEquals,
  '=': Tok.Equals,
  '>': Tok.GreaterThan,
  '<': Tok.LessThan,
  '!=': Tok.NotEquals,
  '(': Tok.OpenPar,
};

function isSpecial(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function lex(s: string): Item[] {
  const out: Item[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (isSpecial(ch)) {
      let buf = '';
      let tok: Tok | undefined;
      while (i < s.length && isSpecial(s[i]) && symbols[buf + s[i]] !== undefined) {
        buf += s[i];
        tok = symbols[buf];
        i++;
      }
      if (tok === undefined) {
        out.push({ tok: Tok.Error, lit: `error expected: keyword found '${s[i]}'` });
        return out;
      }
      out.push({ tok, lit: buf });
      continue;
    }
    let j = i;
    while (j < s.length && !isSpace(s[j]) && !isSpecial(s[j])) j++;
    const word = s.slice(i, j);
    i = j;
    out.push({ tok: word === 'in' ? Tok.In : word === 'notin' ? Tok.NotIn : Tok.Identifier, lit: word });
  }
  out.push({ tok: Tok.EOS, lit: '' });
  return out;
}

class ParseError extends Error {}

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In the Values context `in`/`notin` are plain identifiers. */
  private peek(values: boolean): Item {
    const it = this.items[Math.min(this.pos, this.items.length - 1)];
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }

  private next(values: boolean): Item {
    const it = this.peek(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw new ParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.next(true);
        if (t.tok === Tok.EOS) return reqs;
        if (t.tok === Tok.Comma) {
          const t2 = this.peek(true);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
          continue;
        }
        throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === Tok.EOS) return reqs;
      throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private requirement(): Requirement {
    let { tok, lit } = this.next(true);
    let op: Operator | undefined;
    if (tok === Tok.DoesNotExist) {
      op = '!';
      ({ tok, lit } = this.next(true));
    }
    if (tok !== Tok.Identifier) throw new Error(`found '${lit}', expected: identifier`);
    const key = lit;
    const ke = keyError(key, '<nil>');
    if (ke) throw new Error(ke);
    // `!key` ends the requirement whatever follows (`!a=b` then fails in the caller).
    if (op === '!') return newRequirement(key, '!', []);
    const la = this.peek(true).tok;
    if (la === Tok.EOS || la === Tok.Comma) return newRequirement(key, 'exists', []);
    op = this.operator();
    let values: string[];
    if (op === 'in' || op === 'notin') values = this.setValues();
    else values = this.exactValue();
    return newRequirement(key, op, values);
  }

  private operator(): Operator {
    const { tok, lit } = this.next(false);
    switch (tok) {
      case Tok.In:
        return 'in';
      case Tok.NotIn:
        return 'notin';
      case Tok.Equals:
        return '=';
      case Tok.DoubleEquals:
        return '==';
      case Tok.NotEquals:
        return '!=';
      case Tok.GreaterThan:
        return 'gt';
      case Tok.LessThan:
        return 'lt';
      default:
        throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string[] {
    const la = this.peek(true);
    if (la.tok === Tok.EOS || la.tok === Tok.Comma) return [''];
    const { tok, lit } = this.next(true);
    if (tok === Tok.Identifier) return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }

  private setValues(): string[] {
    const open = this.next(true);
    if (open.tok !== Tok.OpenPar) throw new Error(`found '${open.lit}' expected: '('`);
    const la = this.peek(true);
    if (la.tok === Tok.Identifier || la.tok === Tok.Comma) {
      const s = this.identifiers();
      const close = this.next(true);
      if (close.tok !== Tok.ClosedPar) throw new Error(`found '${close.lit}', expected: ')'`);
      return s;
    }
    if (la.tok === Tok.ClosedPar) {
      this.next(true);
      return [''];
    }
    throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
  }

  private identifiers(): string[] {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.next(true);
      if (tok === Tok.Identifier) {
        s.add(lit);
        const la = this.peek(true);
        if (la.tok === Tok.Comma) continue;
        if (la.tok === Tok.ClosedPar) return [...s];
        throw new Error(`found '${la.lit}', expected: ',' or ')'`);
      }
      if (tok === Tok.Comma) {
        if (s.size === 0) s.add('');
        const la = this.peek(true);
        if (la.tok === Tok.ClosedPar) {
          s.add('');
          return [...s];
        }
        if (la.tok === Tok.Comma) {
          this.next(true);
          s.add('');
        }
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }
}

const parseCache = new Map<string, Selector>();
const PARSE_CACHE_MAX = 512;

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`. The empty string selects everything.
 * Throws StatusError BadRequest naming the offending part.
 */
export function parseSelector(text: string): Selector {
  const cached = parseCache.get(text);
  if (cached) return cached;
  let reqs: Requirement[];
  try {
    const items = lex(text);
    const err = items.find((i) => i.tok === Tok.Error);
    // The lexer error surfaces where the parser meets it; report its text like Kubernetes does.
    reqs = new Parser(err ? items.slice(0, items.indexOf(err) + 1) : items).parse();
  } catch (e) {
    throw new StatusError('BadRequest', (e as Error).message);
  }
  const sel = reqs.length === 0 ? Selector.everything() : new Selector(sortByKey(reqs));
  if (parseCache.size >= PARSE_CACHE_MAX) parseCache.clear();
  parseCache.set(text, sel);
  return sel;
}

/**
 * `metav1.LabelSelectorAsSelector`: undefined/null selects NOTHING, `{}` selects everything.
 * Unknown operators and invalid keys/values throw BadRequest.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return Selector.nothing();
  const ml = ls.matchLabels ?? {};
  const me = ls.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return Selector.everything();
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ml)) reqs.push(newRequirement(k, '=', [v]));
  for (const expr of me) {
    let op: Operator;
    switch (expr.operator) {
      case 'In':
        op = 'in';
        break;
      case 'NotIn':
        op = 'notin';
        break;
      case 'Exists':
        op = 'exists';
        break;
      case 'DoesNotExist':
        op = '!';
        break;
      default:
        throw new StatusError('BadRequest', `${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    }
    reqs.push(newRequirement(expr.key, op, expr.values ?? []));
  }
  return new Selector(sortByKey(reqs));
}

/** `labels.SelectorFromSet`: every pair must be equal; an empty/absent set selects everything. No validation. */
export function selectorFromSet(set: Labels): Selector {
  if (!set) return Selector.everything();
  const keys = Object.keys(set);
  if (keys.length === 0) return Selector.everything();
  return new Selector(sortByKey(keys.map((k) => ({ key: k, operator: '=' as const, values: [set[k]] }))));
}

/** `metav1.LabelSelector` in string form (`Scale.status.selector`), or undefined if it selects nothing. */
export function labelSelectorToString(ls: LabelSelector | undefined | null): string | undefined {
  const sel = selectorFromLabelSelector(ls);
  return sel.matchesNothing() ? undefined : sel.toString();
}

/** Does a label set satisfy `metav1.LabelSelector`? (nil selects nothing) */
export function labelSelectorMatches(ls: LabelSelector | undefined | null, labels: Labels): boolean {
  return selectorFromLabelSelector(ls).matches(labels);
}
