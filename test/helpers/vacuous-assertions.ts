import ts from 'typescript';

/**
 * Finds assertions in test source that cannot fail, by reading the syntax (no types):
 *
 * - `regex-in-object`: a RegExp literal (or `new RegExp`) as a value inside the expected
 *   object of toMatchObject / toEqual / toStrictEqual / toContainEqual / toHaveProperty /
 *   objectContaining / toHaveBeenCalledWith... In vitest 4 (as in Jest) toMatchObject treats
 *   a RegExp as an object with no keys and so matches any value there; the equality
 *   matchers compare it as a RegExp, never as a pattern. Use `expect.stringMatching(...)`.
 *   A name in the expected object is followed within the file to a `const` or to a column
 *   of an it.each / it.for table or a `for...of` over a literal table; a RegExp that comes
 *   from elsewhere (a helper's parameter, another module) is not seen.
 * - `empty-object`: `{}` as the expected value, or a value in it, of toMatchObject: it
 *   matches anything.
 * - `floating`: `expect(p).resolves/rejects...` or `expect.poll(...)` as a statement that
 *   is neither awaited nor returned.
 * - `no-matcher`: `expect(x);` or `expect(x).toBeDefined;` with the matcher never called.
 */
export type VacuousKind = 'regex-in-object' | 'empty-object' | 'floating' | 'no-matcher';
export interface Vacuous {
  readonly line: number;
  readonly kind: VacuousKind;
  readonly text: string;
}

/** Matchers whose expected value is compared structurally, with the argument index from which it is. */
const STRUCTURAL = new Map<string, number>([
  ['toMatchObject', 0],
  ['toEqual', 0],
  ['toStrictEqual', 0],
  ['toContainEqual', 0],
  ['toHaveProperty', 1],
  ['objectContaining', 0],
  ['arrayContaining', 0],
  ['toHaveBeenCalledWith', 0],
  ['toBeCalledWith', 0],
  ['toHaveBeenLastCalledWith', 0],
  ['toHaveBeenNthCalledWith', 1],
  ['toHaveReturnedWith', 0],
]);

function isRegExp(node: ts.Node): boolean {
  if (ts.isRegularExpressionLiteral(node)) return true;
  if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression)) return node.expression.text === 'RegExp';
  return false;
}

/** The `expect(...)`, `expect.poll(...)`, `expect.soft(...)` call a matcher chain starts from, if any. */
function expectRoot(expr: ts.Expression): { call: ts.CallExpression; via: string } | undefined {
  let e: ts.Expression = expr;
  for (;;) {
    if (ts.isCallExpression(e)) {
      const callee = e.expression;
      if (ts.isIdentifier(callee) && callee.text === 'expect') return { call: e, via: 'expect' };
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'expect' && ['poll', 'soft', 'element'].includes(callee.name.text)) {
        return { call: e, via: callee.name.text };
      }
      e = callee;
    } else if (ts.isPropertyAccessExpression(e) || ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) {
      e = e.expression;
    } else {
      return undefined;
    }
  }
}

function chainNames(expr: ts.Expression, stop: ts.Node): string[] {
  const names: string[] = [];
  let e: ts.Expression = expr;
  while (e !== stop) {
    if (ts.isCallExpression(e) || ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
    else if (ts.isPropertyAccessExpression(e)) {
      names.push(e.name.text);
      e = e.expression;
    } else break;
  }
  return names;
}

function unwrap(node: ts.Expression): ts.Expression {
  let e = node;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}

/** The array literal an expression names: itself, or a `const` in the file initialised with one. */
function arrayLiteral(node: ts.Expression, sf: ts.SourceFile): ts.ArrayLiteralExpression | undefined {
  const e = unwrap(node);
  if (ts.isArrayLiteralExpression(e)) return e;
  if (!ts.isIdentifier(e)) return undefined;
  let found: ts.ArrayLiteralExpression | undefined;
  const look = (n: ts.Node): void => {
    if (found === undefined && ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.name.text === e.text && n.initializer !== undefined) {
      const init = unwrap(n.initializer);
      if (ts.isArrayLiteralExpression(init)) found = init;
    }
    ts.forEachChild(n, look);
  };
  look(sf);
  return found;
}

/** Whether any row of a table holds a RegExp literal at `index` (array rows) or under `key` (object rows). */
function columnHasRegExp(table: ts.ArrayLiteralExpression, index: number, key: string | undefined, spread: boolean): boolean {
  return table.elements.some((row) => {
    const r = unwrap(row as ts.Expression);
    if (key !== undefined && ts.isObjectLiteralExpression(r)) {
      return r.properties.some((p) => ts.isPropertyAssignment(p) && p.name.getText() === key && isRegExp(unwrap(p.initializer)));
    }
    if (key === undefined && ts.isArrayLiteralExpression(r) && spread) {
      const cell = r.elements[index];
      return cell !== undefined && isRegExp(unwrap(cell as ts.Expression));
    }
    return key === undefined && !spread && index === 0 ? isRegExp(r) : false;
  });
}

/**
 * Whether an identifier in an expected object stands for a RegExp the file spells out:
 * `const re = /x/`, a column of an it.each / it.for / describe.each table, or of a
 * `for (const [..] of table)` over a literal table.
 */
function namesRegExp(id: ts.Identifier, sf: ts.SourceFile): boolean {
  const name = id.text;
  for (let n: ts.Node | undefined = id.parent; n !== undefined; n = n.parent) {
    if (ts.isFunctionLike(n) && (ts.isArrowFunction(n) || ts.isFunctionExpression(n))) {
      const call = n.parent;
      const each = ts.isCallExpression(call) && ts.isCallExpression(call.expression) ? call.expression : undefined;
      const kind = each !== undefined && ts.isPropertyAccessExpression(each.expression) ? each.expression.name.text : undefined;
      const table = each !== undefined && each.arguments[0] !== undefined ? arrayLiteral(each.arguments[0], sf) : undefined;
      if ((kind === 'each' || kind === 'for') && table !== undefined) {
        // .each spreads an array row over the parameters; .for passes the row whole.
        const spread = kind === 'each';
        for (const [i, param] of n.parameters.entries()) {
          if (ts.isIdentifier(param.name) && param.name.text === name) return columnHasRegExp(table, i, undefined, spread);
          if (i === 0 && ts.isObjectBindingPattern(param.name)) {
            const el = param.name.elements.find((b) => ts.isIdentifier(b.name) && b.name.text === name);
            if (el !== undefined) return columnHasRegExp(table, 0, (el.propertyName ?? el.name).getText(), false);
          }
          if (i === 0 && !spread && ts.isArrayBindingPattern(param.name)) {
            const at = param.name.elements.findIndex((b) => ts.isBindingElement(b) && ts.isIdentifier(b.name) && b.name.text === name);
            if (at >= 0) return columnHasRegExp(table, at, undefined, true);
          }
        }
      }
    }
    if (ts.isForOfStatement(n) && ts.isVariableDeclarationList(n.initializer)) {
      const binding = n.initializer.declarations[0]?.name;
      const table = arrayLiteral(n.expression, sf);
      if (binding !== undefined && table !== undefined) {
        if (ts.isIdentifier(binding) && binding.text === name) return columnHasRegExp(table, 0, undefined, false);
        if (ts.isArrayBindingPattern(binding)) {
          const at = binding.elements.findIndex((b) => ts.isBindingElement(b) && ts.isIdentifier(b.name) && b.name.text === name);
          if (at >= 0) return columnHasRegExp(table, at, undefined, true);
        }
      }
    }
    if (ts.isBlock(n) || ts.isSourceFile(n)) {
      for (const st of n.statements) {
        if (!ts.isVariableStatement(st)) continue;
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer !== undefined) return isRegExp(unwrap(d.initializer));
        }
      }
    }
  }
  return false;
}

export function findVacuousAssertions(source: string, fileName = 'test.ts'): Vacuous[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Vacuous[] = [];
  const report = (node: ts.Node, kind: VacuousKind, text = node.getText(sf)): void => {
    found.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, kind, text: text.replace(/\s+/g, ' ').slice(0, 160) });
  };

  // Walks an expected value through literals only: a call (expect.stringMatching, a helper)
  // or a function ends the walk; nested matchers are visited on their own.
  const expected = (node: ts.Node, matcher: string): void => {
    if (isRegExp(node)) {
      report(node, 'regex-in-object', `${matcher}(... ${node.getText(sf)} ...)`);
      return;
    }
    if (ts.isObjectLiteralExpression(node)) {
      if (node.properties.length === 0 && matcher === 'toMatchObject') report(node, 'empty-object', `${matcher}(... {} ...)`);
      for (const p of node.properties) {
        if (ts.isPropertyAssignment(p)) expected(p.initializer, matcher);
        else if (ts.isShorthandPropertyAssignment(p)) expected(p.name, matcher);
        else if (ts.isSpreadAssignment(p)) expected(p.expression, matcher);
      }
      return;
    }
    if (ts.isIdentifier(node)) {
      if (namesRegExp(node, sf)) report(node, 'regex-in-object', `${matcher}(... ${node.text}, a RegExp ...)`);
      return;
    }
    if (ts.isArrayLiteralExpression(node)) {
      for (const el of node.elements) expected(ts.isSpreadElement(el) ? el.expression : el, matcher);
      return;
    }
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node) || ts.isTypeAssertionExpression(node)) {
      expected(node.expression, matcher);
      return;
    }
    if (ts.isConditionalExpression(node)) {
      expected(node.whenTrue, matcher);
      expected(node.whenFalse, matcher);
    }
  };

  const statement = (stmt: ts.ExpressionStatement): void => {
    const awaited = ts.isAwaitExpression(stmt.expression);
    const expr = awaited ? (stmt.expression as ts.AwaitExpression).expression : ts.isVoidExpression(stmt.expression) ? stmt.expression.expression : stmt.expression;
    const root = expectRoot(expr);
    if (root === undefined) return;
    if (expr === root.call || !ts.isCallExpression(expr)) {
      if (root.via !== 'element') report(stmt, 'no-matcher');
      return;
    }
    const names = chainNames(expr, root.call);
    if (!awaited && (root.via === 'poll' || root.via === 'element' || names.includes('resolves') || names.includes('rejects'))) report(stmt, 'floating');
  };

  const visit = (node: ts.Node): void => {
    if (ts.isExpressionStatement(node)) statement(node);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const matcher = node.expression.name.text;
      const from = STRUCTURAL.get(matcher);
      if (from !== undefined) for (const arg of node.arguments.slice(from)) expected(arg, matcher);
      // `list.forEach((x) => expect(x).resolves...)` drops the promise the arrow returns.
      if (matcher === 'forEach') {
        for (const arg of node.arguments) {
          if (ts.isArrowFunction(arg) && !ts.isBlock(arg.body)) {
            const root = expectRoot(arg.body);
            if (root !== undefined && (root.via === 'poll' || chainNames(arg.body, root.call).some((n) => n === 'resolves' || n === 'rejects'))) report(arg, 'floating');
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}
