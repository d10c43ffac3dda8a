//! Turns one statement's tokens into a command call or a value, with every piece's place.

use super::lexer::{Fault, Token, TokenKind};
use super::value::Value;

/// An argument as written, resolved to a [`Value`] only when the statement runs (variables).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Variable(String),
    List(Vec<Arg>),
    /// `{ ... }`: the tokens between the braces, read by the cmdlet that takes it
    /// (`Where-Object`, `ForEach-Object`).
    Block(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub expr: Expr,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// `-Name`; `colon` when written `-Name:value`, so the next argument belongs to it.
    Parameter {
        name: String,
        colon: bool,
        line: usize,
        column: usize,
    },
    Argument(Arg),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Command {
        name: String,
        line: usize,
        column: usize,
        elements: Vec<Element>,
    },
    /// A value on its own (`$mediabypass`) prints it.
    Value(Arg),
    /// `Get-X | Add-X`: the first stage is a command or a value, the others commands; `pipes`
    /// are the places of the `|`s, for the runner's refusals.
    Pipeline {
        stages: Vec<Body>,
        pipes: Vec<(usize, usize)>,
    },
    /// `try { } catch { } finally { }`: each block's statements with their text.
    Try {
        body: Vec<(Statement, String)>,
        catch: Option<Vec<(Statement, String)>>,
        finally: Option<Vec<(Statement, String)>>,
    },
    /// `name = ...` without the `$`: PowerShell looks for a command called `name`.
    Misassigned {
        name: String,
        line: usize,
        column: usize,
    },
    /// `(Command ...).Property.Property`: the command's output, then the path (may be empty).
    Member {
        command: Box<Body>,
        path: String,
        line: usize,
        column: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub line: usize,
    pub column: usize,
    /// `$name = ...`
    pub assign: Option<String>,
    pub body: Body,
}

/// Splits tokens into statements (empty ones dropped). A line ending in `|` continues on the
/// next, as in PowerShell.
pub fn statements(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = vec![];
    let mut start = 0;
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::OpenBlock => depth += 1,
            TokenKind::CloseBlock => depth = depth.saturating_sub(1),
            _ => {}
        }
        let continued = i > start && tokens[i - 1].kind == TokenKind::Pipe;
        // `}` on one line and `catch {` or `finally {` on the next are one try statement.
        let handler_follows = i > start
            && tokens[i - 1].kind == TokenKind::CloseBlock
            && tokens[i..].iter().find(|t| t.kind != TokenKind::End).is_some_and(|t| {
                matches!(&t.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case("catch") || w.eq_ignore_ascii_case("finally"))
            });
        if t.kind == TokenKind::End && !continued && !handler_follows && depth == 0 {
            out.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    out.push(&tokens[start..]);
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// A statement's tokens without the line breaks a trailing `|` continued (those inside a script
/// block separate its statements and stay).
fn without_continued_ends(tokens: &[Token]) -> Vec<Token> {
    let mut depth = 0usize;
    let mut out = vec![];
    for t in tokens {
        match t.kind {
            TokenKind::OpenBlock => depth += 1,
            TokenKind::CloseBlock => depth = depth.saturating_sub(1),
            TokenKind::End if depth == 0 => continue,
            _ => {}
        }
        out.push(t.clone());
    }
    out
}

/// The pipes of a statement outside its script blocks: their indexes.
fn top_level_pipes(tokens: &[Token]) -> Vec<usize> {
    let mut depth = 0usize;
    let mut out = vec![];
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::OpenBlock => depth += 1,
            TokenKind::CloseBlock => depth = depth.saturating_sub(1),
            TokenKind::Pipe if depth == 0 => out.push(i),
            _ => {}
        }
    }
    out
}

/// Statement keywords the runner does not read: a script that uses one does not run, as if it
/// did not parse, rather than running around it.
const KEYWORDS: &[&str] =
    &["if", "else", "elseif", "foreach", "for", "while", "do", "switch", "function", "catch", "finally", "trap"];

/// A statement's text rebuilt from its tokens (a statement inside a block).
pub fn tokens_text(tokens: &[Token]) -> String {
    let words: Vec<String> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::End)
        .map(|t| match &t.kind {
            TokenKind::Quoted(q) => format!("'{}'", q.replace('\'', "''")),
            TokenKind::Parameter { name, colon: true } => format!("-{name}:"),
            other => describe(other),
        })
        .collect();
    words.join(" ")
}

/// The statement as written, continuations joined into single spaces.
pub fn source_of(source: &str, tokens: &[Token]) -> String {
    let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else { return String::new() };
    let text = &source[first.start..last.end];
    let mut out = String::new();
    for (i, piece) in text.split('\n').enumerate() {
        let piece = piece.trim_end_matches('\r');
        if i == 0 {
            out.push_str(piece.trim_end().trim_end_matches('`').trim_end());
        } else {
            out.push(' ');
            out.push_str(piece.trim().trim_end_matches('`').trim_end());
        }
    }
    out
}

pub(super) fn unexpected(t: &Token, what: &str) -> Fault {
    Fault::at(t.line, t.column, format!("Unexpected token '{what}' in expression or statement."))
}

pub fn parse(tokens: &[Token]) -> Result<Statement, Fault> {
    if super::blocks::keyword(tokens.first(), "try") {
        return super::blocks::parse_try(tokens);
    }
    if top_level_pipes(tokens).is_empty() {
        return parse_stage(tokens);
    }
    let tokens = without_continued_ends(tokens);
    let cuts = top_level_pipes(&tokens);
    let pipes: Vec<(usize, usize)> = cuts.iter().map(|&i| (tokens[i].line, tokens[i].column)).collect();
    let mut bounds = vec![0];
    for &cut in &cuts {
        bounds.push(cut + 1);
    }
    let mut segments =
        bounds.iter().enumerate().map(|(n, &from)| &tokens[from..cuts.get(n).copied().unwrap_or(tokens.len())]);
    let empty = |place: (usize, usize)| Fault::at(place.0, place.1, "An empty pipe element is not allowed.");
    let first = parse_stage(segments.next().filter(|s| !s.is_empty()).ok_or_else(|| empty(pipes[0]))?)?;
    let mut stages = vec![first.body];
    for (i, segment) in segments.enumerate() {
        if segment.is_empty() {
            return Err(empty(pipes[i]));
        }
        match parse_stage(segment)? {
            Statement { assign: None, body: body @ Body::Command { .. }, .. } => stages.push(body),
            _ => {
                return Err(Fault::at(
                    segment[0].line,
                    segment[0].column,
                    "Expressions are only allowed as the first element of a pipeline.",
                ))
            }
        }
    }
    Ok(Statement {
        line: first.line,
        column: first.column,
        assign: first.assign,
        body: Body::Pipeline { stages, pipes },
    })
}

fn parse_stage(tokens: &[Token]) -> Result<Statement, Fault> {
    let first = &tokens[0];
    if let (TokenKind::Word(name), Some(TokenKind::Equals)) = (&first.kind, tokens.get(1).map(|t| &t.kind)) {
        // PowerShell reads `name = ...` as a command named `name`: it fails when it runs.
        return Ok(Statement {
            line: first.line,
            column: first.column,
            assign: None,
            body: Body::Misassigned { name: name.clone(), line: first.line, column: first.column },
        });
    }
    if let TokenKind::Word(word) = &first.kind {
        if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
            return Err(Fault::at(
                first.line,
                first.column,
                format!("The '{word}' statement is not supported by the runbook runner: write one cmdlet per line; a pipeline into Where-Object or ForEach-Object takes a script block."),
            ));
        }
    }
    let (assign, rest) = match (&first.kind, tokens.get(1).map(|t| &t.kind)) {
        (TokenKind::Variable(name), Some(TokenKind::Equals)) => (Some(name.clone()), &tokens[2..]),
        _ => (None, tokens),
    };
    let Some(head) = rest.first() else {
        let eq = &tokens[1];
        return Err(Fault::at(eq.line, eq.column, "You must provide a value expression following the '=' operator."));
    };
    let body = match &head.kind {
        TokenKind::Word(w) if w.parse::<i64>().is_ok() => {
            let (arg, used) = argument(rest)?;
            if let Some(extra) = rest.get(used) {
                return Err(unexpected(extra, &describe(&extra.kind)));
            }
            Body::Value(arg)
        }
        TokenKind::Word(open) if open == "(" => member_of_command(rest)?,
        TokenKind::Word(name) => {
            Body::Command { name: name.clone(), line: head.line, column: head.column, elements: elements(&rest[1..])? }
        }
        TokenKind::Parameter { name, .. } => Body::Command {
            name: format!("-{name}"),
            line: head.line,
            column: head.column,
            elements: elements(&rest[1..])?,
        },
        TokenKind::Quoted(_) | TokenKind::Variable(_) => {
            let (arg, used) = argument(rest)?;
            if let Some(extra) = rest.get(used) {
                return Err(unexpected(extra, &describe(&extra.kind)));
            }
            Body::Value(arg)
        }
        other => return Err(unexpected(head, &describe(other))),
    };
    Ok(Statement { line: first.line, column: first.column, assign, body })
}

/// `( Command ... ).Path` from the lexer's `(` and `).Path` words.
fn member_of_command(tokens: &[Token]) -> Result<Body, Fault> {
    let open = &tokens[0];
    let close = tokens.iter().rposition(|t| matches!(&t.kind, TokenKind::Word(w) if w.starts_with(')')));
    let Some(close) = close else {
        return Err(Fault::at(open.line, open.column, "Missing closing ')' in expression."));
    };
    if let Some(extra) = tokens.get(close + 1) {
        return Err(unexpected(extra, &describe(&extra.kind)));
    }
    let inner = &tokens[1..close];
    let Some(head) = inner.first() else {
        return Err(Fault::at(open.line, open.column, "An expression was expected after '('."));
    };
    let TokenKind::Word(name) = &head.kind else {
        return Err(unexpected(head, &describe(&head.kind)));
    };
    let command =
        Body::Command { name: name.clone(), line: head.line, column: head.column, elements: elements(&inner[1..])? };
    let TokenKind::Word(closing) = &tokens[close].kind else { unreachable!("found as a word") };
    let path = closing.trim_start_matches(')').trim_start_matches('.').to_string();
    Ok(Body::Member { command: Box::new(command), path, line: open.line, column: open.column })
}

/// A script block's text, rebuilt from its tokens (`{ $_.Name -eq 'x' }`).
pub fn block_text(tokens: &[Token]) -> String {
    let words: Vec<String> = tokens
        .iter()
        .map(|t| match &t.kind {
            TokenKind::Quoted(q) => format!("'{}'", q.replace('\'', "''")),
            other => describe(other),
        })
        .collect();
    format!("{{ {} }}", words.join(" "))
}

pub(super) fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(w) => w.clone(),
        TokenKind::Quoted(q) => format!("'{q}'"),
        TokenKind::Variable(v) => format!("${v}"),
        TokenKind::Parameter { name, .. } => format!("-{name}"),
        TokenKind::Comma => ",".into(),
        TokenKind::Equals => "=".into(),
        TokenKind::Pipe => "|".into(),
        TokenKind::End => ";".into(),
        TokenKind::OpenBlock => "{".into(),
        TokenKind::CloseBlock => "}".into(),
    }
}

fn elements(mut tokens: &[Token]) -> Result<Vec<Element>, Fault> {
    let mut out = Vec::new();
    while let Some(t) = tokens.first() {
        match &t.kind {
            TokenKind::Parameter { name, colon } => {
                out.push(Element::Parameter { name: name.clone(), colon: *colon, line: t.line, column: t.column });
                tokens = &tokens[1..];
            }
            _ => {
                let (arg, used) = argument(tokens)?;
                out.push(Element::Argument(arg));
                tokens = &tokens[used..];
            }
        }
    }
    Ok(out)
}

fn primary(t: &Token) -> Result<Arg, Fault> {
    let expr = match &t.kind {
        TokenKind::Word(w) => Expr::Literal(match w.parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::String(w.clone()),
        }),
        TokenKind::Quoted(q) => Expr::Literal(Value::String(q.clone())),
        TokenKind::Variable(v) => match v.to_ascii_lowercase().as_str() {
            "true" => Expr::Literal(Value::Bool(true)),
            "false" => Expr::Literal(Value::Bool(false)),
            "null" => Expr::Literal(Value::Null),
            _ => Expr::Variable(v.clone()),
        },
        other => return Err(unexpected(t, &describe(other))),
    };
    Ok(Arg { expr, line: t.line, column: t.column })
}

/// `{ ... }` from its opening brace: the argument and how many tokens it used.
pub(super) fn block(tokens: &[Token]) -> Result<(Arg, usize), Fault> {
    let open = &tokens[0];
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            TokenKind::OpenBlock => depth += 1,
            TokenKind::CloseBlock => {
                depth -= 1;
                if depth == 0 {
                    let inner = tokens[1..i].to_vec();
                    return Ok((Arg { expr: Expr::Block(inner), line: open.line, column: open.column }, i + 1));
                }
            }
            _ => {}
        }
    }
    Err(Fault::at(open.line, open.column, "Missing closing '}' in statement block or type definition."))
}

/// One argument, possibly a comma list; returns it and how many tokens it used.
fn argument(tokens: &[Token]) -> Result<(Arg, usize), Fault> {
    if tokens[0].kind == TokenKind::OpenBlock {
        return block(tokens);
    }
    let first = primary(&tokens[0])?;
    let mut items = vec![first.clone()];
    let mut used = 1;
    while let Some(comma) = tokens.get(used).filter(|t| t.kind == TokenKind::Comma) {
        let next = tokens
            .get(used + 1)
            .filter(|t| matches!(t.kind, TokenKind::Word(_) | TokenKind::Quoted(_) | TokenKind::Variable(_)))
            .ok_or_else(|| Fault::at(comma.line, comma.column, "Missing expression after ','."))?;
        items.push(primary(next)?);
        used += 2;
    }
    if items.len() == 1 {
        Ok((first, 1))
    } else {
        Ok((Arg { expr: Expr::List(items), line: first.line, column: first.column }, used))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::lexer::lex;

    fn one(source: &str) -> Statement {
        let (tokens, fault) = lex(source);
        assert_eq!(fault, None);
        let parts = statements(&tokens);
        assert_eq!(parts.len(), 1, "{parts:?}");
        parse(parts[0]).unwrap()
    }

    fn lit(v: Value, line: usize, column: usize) -> Element {
        Element::Argument(Arg { expr: Expr::Literal(v), line, column })
    }

    #[test]
    fn the_seed_enable_assignment() {
        let s = one("$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true");
        assert_eq!(s.assign.as_deref(), Some("mediabypass"));
        let Body::Command { name, column, elements, .. } = s.body else { panic!() };
        assert_eq!((name.as_str(), column), ("New-CsNetworkMediaBypassConfiguration", 16));
        assert_eq!(
            elements,
            vec![
                Element::Parameter { name: "AlwaysBypass".into(), colon: false, line: 1, column: 54 },
                lit(Value::Bool(true), 1, 68),
                Element::Parameter { name: "Enabled".into(), colon: false, line: 1, column: 74 },
                lit(Value::Bool(true), 1, 83),
            ]
        );
    }

    #[test]
    fn the_seed_permanent_disable_block() {
        let source = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl  $null\n\t$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false \nSet-CsNetworkConfiguration -MediaBypassSettings $mediabypass \n";
        let (tokens, _) = lex(source);
        let parts = statements(&tokens);
        assert_eq!(parts.len(), 3);
        let first = parse(parts[0]).unwrap();
        let Body::Command { elements, .. } = first.body else { panic!() };
        assert_eq!(elements[1], lit(Value::Null, 1, 66));
        let second = parse(parts[1]).unwrap();
        assert_eq!((second.line, second.column, second.assign.as_deref()), (2, 2, Some("mediabypass")));
        let third = parse(parts[2]).unwrap();
        let Body::Command { elements, .. } = third.body else { panic!() };
        assert_eq!(
            elements[1],
            Element::Argument(Arg { expr: Expr::Variable("mediabypass".into()), line: 3, column: 49 })
        );
        assert_eq!(
            source_of(source, parts[1]),
            "$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false"
        );
    }

    #[test]
    fn comma_lists_integers_and_quoted_strings() {
        let s = one("Add-Thing -Names a,\"b c\",3 -Count 42 'positional'");
        let Body::Command { elements, .. } = s.body else { panic!() };
        let Element::Argument(Arg { expr: Expr::List(items), .. }) = &elements[1] else { panic!("{elements:?}") };
        assert_eq!(
            items.iter().map(|a| a.expr.clone()).collect::<Vec<_>>(),
            vec![
                Expr::Literal(Value::String("a".into())),
                Expr::Literal(Value::String("b c".into())),
                Expr::Literal(Value::Int(3)),
            ]
        );
        assert_eq!(elements[3], lit(Value::Int(42), 1, 35));
        assert_eq!(elements[4], lit(Value::String("positional".into()), 1, 38));
    }

    #[test]
    fn continuation_is_one_statement_quoted_on_one_line() {
        let source = "New-CsNetworkMediaBypassConfiguration `\n  -Enabled $true `\n  -AlwaysBypass $true\n";
        let (tokens, _) = lex(source);
        let parts = statements(&tokens);
        assert_eq!(parts.len(), 1);
        assert_eq!(
            source_of(source, parts[0]),
            "New-CsNetworkMediaBypassConfiguration -Enabled $true -AlwaysBypass $true"
        );
    }

    #[test]
    fn a_variable_alone_is_a_value() {
        let s = one("  $MediaBypass");
        assert_eq!(s.body, Body::Value(Arg { expr: Expr::Variable("MediaBypass".into()), line: 1, column: 3 }));
    }

    #[test]
    fn integers_are_values() {
        let s = one("$order = 1");
        assert_eq!(s.assign.as_deref(), Some("order"));
        assert_eq!(s.body, Body::Value(Arg { expr: Expr::Literal(Value::Int(1)), line: 1, column: 10 }));
        assert_eq!(one("-5").body, Body::Value(Arg { expr: Expr::Literal(Value::Int(-5)), line: 1, column: 1 }));
    }

    #[test]
    fn an_assignment_without_its_dollar_gets_a_hint() {
        let (tokens, _) = lex("mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $true");
        let statement = parse(&tokens).unwrap();
        assert_eq!(
            statement.body,
            Body::Misassigned { name: "mediabypass".into(), line: 1, column: 1 },
            "PowerShell parses it as a command, which fails when it runs"
        );
    }

    #[test]
    fn a_pipeline_is_one_statement_even_over_lines() {
        let (tokens, _) = lex("Get-A -X 1 |\n  Add-A -Y 2\nNext");
        let parts = statements(&tokens);
        assert_eq!(parts.len(), 2);
        let s = parse(parts[0]).unwrap();
        let Body::Pipeline { stages, pipes } = s.body else { panic!("{s:?}") };
        assert_eq!(pipes, [(1, 12)]);
        assert!(matches!(&stages[1], Body::Command { name, line: 2, .. } if name == "Add-A"));
        let (tokens, _) = lex("Get-A | ");
        assert_eq!(parse(&tokens).unwrap_err(), Fault::at(1, 7, "An empty pipe element is not allowed."));
    }

    #[test]
    fn faults_name_the_place() {
        let (tokens, _) = lex("$x =");
        assert_eq!(
            parse(&tokens).unwrap_err(),
            Fault::at(1, 4, "You must provide a value expression following the '=' operator.")
        );
        let (tokens, _) = lex("Cmd -A a,");
        assert_eq!(parse(&tokens).unwrap_err(), Fault::at(1, 9, "Missing expression after ','."));
        let (tokens, _) = lex("= 3");
        assert_eq!(parse(&tokens).unwrap_err(), Fault::at(1, 1, "Unexpected token '=' in expression or statement."));
    }
}
