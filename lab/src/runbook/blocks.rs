//! `try { } catch { } finally { }`: the one block statement the runner reads. Its blocks'
//! statements are parsed with the file, so a parse error inside one means nothing runs.

use super::lexer::{Fault, Token, TokenKind};
use super::parser::{block, describe, parse, statements, tokens_text, unexpected, Body, Expr, Statement};

pub(super) fn keyword(t: Option<&Token>, word: &str) -> bool {
    matches!(t.map(|t| &t.kind), Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(word))
}

/// The statements of a block's tokens, each with its text.
fn block_statements(tokens: &[Token]) -> Result<Vec<(Statement, String)>, Fault> {
    statements(tokens).into_iter().map(|t| parse(t).map(|s| (s, tokens_text(t)))).collect()
}

/// `try { ... } catch [Type] { ... } finally { ... }`.
pub(super) fn parse_try(tokens: &[Token]) -> Result<Statement, Fault> {
    let first = &tokens[0];
    let mut pos = 1;
    let take_block = |pos: &mut usize, after: &str| -> Result<Vec<Token>, Fault> {
        // Skip line breaks between a keyword (and a catch's type) and its block.
        while tokens
            .get(*pos)
            .is_some_and(|t| t.kind == TokenKind::End || matches!(&t.kind, TokenKind::Word(w) if w.starts_with('[')))
        {
            *pos += 1;
        }
        match tokens.get(*pos) {
            Some(t) if t.kind == TokenKind::OpenBlock => {
                let (arg, used) = block(&tokens[*pos..])?;
                *pos += used;
                match arg.expr {
                    Expr::Block(inner) => Ok(inner),
                    _ => unreachable!("a block"),
                }
            }
            other => {
                let at = other.unwrap_or(&tokens[*pos - 1]);
                Err(Fault::at(at.line, at.column, format!("Missing statement block after '{after}'.")))
            }
        }
    };
    let body = block_statements(&take_block(&mut pos, "try")?)?;
    let skip_ends = |pos: &mut usize| {
        while tokens.get(*pos).is_some_and(|t| t.kind == TokenKind::End) {
            *pos += 1;
        }
    };
    skip_ends(&mut pos);
    let mut catch = None;
    if keyword(tokens.get(pos), "catch") {
        pos += 1;
        catch = Some(block_statements(&take_block(&mut pos, "catch")?)?);
        skip_ends(&mut pos);
    }
    let mut finally = None;
    if keyword(tokens.get(pos), "finally") {
        pos += 1;
        finally = Some(block_statements(&take_block(&mut pos, "finally")?)?);
        skip_ends(&mut pos);
    }
    if catch.is_none() && finally.is_none() {
        return Err(Fault::at(first.line, first.column, "The Try statement is missing its Catch or Finally block."));
    }
    if let Some(extra) = tokens.get(pos) {
        return Err(unexpected(extra, &describe(&extra.kind)));
    }
    Ok(Statement { line: first.line, column: first.column, assign: None, body: Body::Try { body, catch, finally } })
}
