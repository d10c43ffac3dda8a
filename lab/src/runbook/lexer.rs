//! Splits a runbook into tokens with their line and column, as PowerShell's command mode reads
//! a pasted line: words, quoted strings, `$variables`, `-Parameters`, commas, `=`.

/// A problem at a place in the runbook (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Fault {
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> Fault {
        Fault { line, column, message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted word: a command name, a bare string, a number.
    Word(String),
    /// A single- or double-quoted string, quotes removed and escapes applied.
    Quoted(String),
    /// `$name` without the `$`.
    Variable(String),
    /// `-Name`, or `-Name:` when the argument is attached with a colon.
    Parameter {
        name: String,
        colon: bool,
    },
    Comma,
    Equals,
    /// `|`: the parser decides which pipelines the runner takes.
    Pipe,
    /// `{` and `}` around a script block (`Where-Object { $_.Name -eq 'x' }`); the tokens between
    /// them are lexed as any others, so they keep their places.
    OpenBlock,
    CloseBlock,
    /// The end of a statement: a line break (not continued with a backtick) or `;`.
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub line: usize,
    pub column: usize,
    /// Byte range in the source, to quote the statement as written.
    pub start: usize,
    pub end: usize,
}

/// Dashes PowerShell accepts in front of a parameter (documents often carry typographic ones).
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2013}' | '\u{2014}' | '\u{2015}')
}

fn single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

fn double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}')
}

fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '|' | '(' | ')' | '{' | '}')
}

struct Cursor<'a> {
    chars: Vec<(usize, char)>,
    pos: usize,
    line: usize,
    column: usize,
    source: &'a str,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|(_, c)| *c)
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).map(|(_, c)| *c)
    }
    fn offset(&self) -> usize {
        self.chars.get(self.pos).map(|(o, _)| *o).unwrap_or(self.source.len())
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }
    /// A backtick that ends the line continues the statement on the next one.
    fn at_continuation(&self) -> bool {
        self.peek() == Some('`')
            && (self.peek_at(1) == Some('\n') || (self.peek_at(1) == Some('\r') && self.peek_at(2) == Some('\n')))
    }
}

/// The tokens of `source`; on a fault, the tokens of the statements completed before it (so
/// the lines before a bad line still run, as when pasted) and the fault.
pub fn lex(source: &str) -> (Vec<Token>, Option<Fault>) {
    let mut cur = Cursor { chars: source.char_indices().collect(), pos: 0, line: 1, column: 1, source };
    let mut tokens = Vec::new();
    let mut grouped = false;
    // Open script blocks: a line break inside one does not end the statement.
    let mut depth = 0usize;
    while let Some(c) = cur.peek() {
        let (line, column, start) = (cur.line, cur.column, cur.offset());
        let kind = if c == '\n' || c == ';' {
            cur.bump();
            TokenKind::End
        } else if cur.at_continuation() {
            while cur.bump() != Some('\n') {}
            continue;
        } else if c.is_whitespace() {
            cur.bump();
            continue;
        } else if c == '#' {
            while cur.peek().is_some_and(|c| c != '\n') {
                cur.bump();
            }
            continue;
        } else if c == ',' {
            cur.bump();
            TokenKind::Comma
        } else if c == '=' {
            cur.bump();
            TokenKind::Equals
        } else if let Some(kind) = grouping(&mut cur, &tokens, &mut grouped) {
            kind
        } else if c == '|' {
            cur.bump();
            TokenKind::Pipe
        } else if c == '{' {
            cur.bump();
            depth += 1;
            TokenKind::OpenBlock
        } else if c == '}' && depth > 0 {
            cur.bump();
            depth -= 1;
            TokenKind::CloseBlock
        } else if matches!(c, '(' | ')' | '{' | '}') {
            let fault = Fault::at(
                line,
                column,
                format!("The '{c}' character is not supported by the runbook runner: write one cmdlet per line, with values, variables and comma lists as arguments."),
            );
            return (complete_statements(tokens), Some(fault));
        } else if single_quote(c) || double_quote(c) {
            match quoted(&mut cur) {
                Ok(text) => TokenKind::Quoted(text),
                Err(terminator) => {
                    let fault = Fault::at(line, column, format!("The string is missing the terminator: {terminator}."));
                    return (complete_statements(tokens), Some(fault));
                }
            }
        } else if c == '$' && cur.peek_at(1).is_some_and(|n| n.is_alphanumeric() || n == '_') {
            cur.bump();
            let mut name = String::new();
            while let Some(n) = cur.peek().filter(|n| n.is_alphanumeric() || *n == '_' || *n == ':') {
                name.push(n);
                cur.bump();
            }
            // `$m.BypassID` and `$Error[0].Exception`: the property path and indexes ride on the
            // variable (see property.rs).
            loop {
                if cur.peek() == Some('.') && cur.peek_at(1).is_some_and(|n| n.is_alphabetic() || n == '_') {
                    name.push('.');
                    cur.bump();
                    while let Some(n) = cur.peek().filter(|n| n.is_alphanumeric() || *n == '_') {
                        name.push(n);
                        cur.bump();
                    }
                } else if let Some(index) = index_at(&cur) {
                    for _ in 0..index.chars().count() {
                        cur.bump();
                    }
                    name.push_str(&index);
                } else {
                    break;
                }
            }
            TokenKind::Variable(name)
        } else if is_dash(c) && cur.peek_at(1).is_some_and(|n| n.is_alphabetic() || n == '_') {
            cur.bump();
            let mut name = String::new();
            while let Some(n) = cur.peek().filter(|n| !ends_word(*n) && *n != ':') {
                name.push(n);
                cur.bump();
            }
            let colon = cur.peek() == Some(':');
            if colon {
                cur.bump();
            }
            TokenKind::Parameter { name, colon }
        } else {
            let mut word = String::new();
            while let Some(n) = cur.peek().filter(|n| !ends_word(*n)) {
                if n == '`' {
                    if cur.at_continuation() {
                        break;
                    }
                    cur.bump();
                    if let Some(escaped) = cur.bump() {
                        word.push(escaped);
                    }
                    continue;
                }
                word.push(n);
                cur.bump();
            }
            TokenKind::Word(word)
        };
        tokens.push(Token { kind, line, column, start, end: cur.offset() });
    }
    if depth > 0 {
        let open = tokens.iter().rev().find(|t| t.kind == TokenKind::OpenBlock).expect("an open block");
        let fault = Fault::at(open.line, open.column, "Missing closing '}' in statement block or type definition.");
        return (complete_statements(tokens), Some(fault));
    }
    (tokens, None)
}

/// `[0]` or `[-1]` at the cursor, as written.
fn index_at(cur: &Cursor) -> Option<String> {
    if cur.peek() != Some('[') {
        return None;
    }
    let mut text = String::from("[");
    let mut n = 1;
    if cur.peek_at(n) == Some('-') {
        text.push('-');
        n += 1;
    }
    let digits_from = n;
    while let Some(d) = cur.peek_at(n).filter(char::is_ascii_digit) {
        text.push(d);
        n += 1;
    }
    (n > digits_from && cur.peek_at(n) == Some(']')).then(|| text + "]")
}

/// `(Get-CsNetworkConfiguration).MediaBypassSettings`: a `(` that opens a statement's value
/// becomes the word `(`, and its `)` with the property path after it the word `).Path` (see
/// parser::member_of_command). Any other parenthesis is left to the caller's refusal.
fn grouping(cur: &mut Cursor, tokens: &[Token], grouped: &mut bool) -> Option<TokenKind> {
    let opens_value = matches!(tokens.last().map(|t| &t.kind), None | Some(TokenKind::End) | Some(TokenKind::Equals));
    match cur.peek()? {
        '(' if !*grouped && opens_value => {
            cur.bump();
            *grouped = true;
            Some(TokenKind::Word("(".into()))
        }
        ')' if *grouped => {
            cur.bump();
            *grouped = false;
            let mut word = String::from(")");
            while cur.peek() == Some('.') && cur.peek_at(1).is_some_and(|n| n.is_alphabetic() || n == '_') {
                word.push('.');
                cur.bump();
                while let Some(n) = cur.peek().filter(|n| n.is_alphanumeric() || *n == '_') {
                    word.push(n);
                    cur.bump();
                }
            }
            Some(TokenKind::Word(word))
        }
        _ => None,
    }
}

/// Drops the tokens of a statement cut short by a fault.
fn complete_statements(mut tokens: Vec<Token>) -> Vec<Token> {
    let keep = tokens.iter().rposition(|t| t.kind == TokenKind::End).map(|i| i + 1).unwrap_or(0);
    tokens.truncate(keep);
    tokens
}

/// Reads a quoted string; on a missing end, the terminator that was expected.
fn quoted(cur: &mut Cursor) -> Result<String, char> {
    let open = cur.bump().expect("a quote");
    let single = single_quote(open);
    let closes = |c: char| if single { single_quote(c) } else { double_quote(c) };
    let mut text = String::new();
    loop {
        match cur.bump() {
            None => return Err(if single { '\'' } else { '"' }),
            Some(c) if closes(c) => {
                // A doubled quote stands for one quote character.
                if cur.peek().is_some_and(closes) {
                    text.push(cur.bump().unwrap());
                } else {
                    return Ok(text);
                }
            }
            Some('`') if !single => match cur.bump() {
                None => return Err('"'),
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('r') => text.push('\r'),
                Some('0') => text.push('\0'),
                Some(other) => text.push(other),
            },
            Some(c) => text.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        let (tokens, fault) = lex(source);
        assert_eq!(fault, None);
        tokens.into_iter().map(|t| t.kind).collect()
    }

    fn word(s: &str) -> TokenKind {
        Word(s.into())
    }
    fn param(s: &str) -> TokenKind {
        Parameter { name: s.into(), colon: false }
    }

    #[test]
    fn a_cmdlet_with_a_bare_url() {
        assert_eq!(
            kinds("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://newname.domain/hybridconfig/hybridconfigservice.svc"),
            vec![word("Set-CsTenantHybridConfiguration"), param("HybridConfigServiceInternalUrl"), word("http://newname.domain/hybridconfig/hybridconfigservice.svc")]
        );
    }

    #[test]
    fn assignment_variables_and_booleans() {
        assert_eq!(
            kinds("$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true"),
            vec![
                Variable("mediabypass".into()),
                Equals,
                word("New-CsNetworkMediaBypassConfiguration"),
                param("AlwaysBypass"),
                Variable("true".into()),
                param("Enabled"),
                Variable("true".into())
            ]
        );
    }

    #[test]
    fn the_seeds_typo_is_a_command_named_get_dash() {
        let (tokens, _) = lex("Get- CsNetworkConfiguration -LocalStore");
        assert_eq!(tokens[0].kind, word("Get-"));
        assert_eq!((tokens[1].line, tokens[1].column), (1, 6));
        assert_eq!(tokens[1].kind, word("CsNetworkConfiguration"));
    }

    #[test]
    fn a_leading_tab_and_double_spaces_are_whitespace() {
        let (tokens, _) = lex("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl  $null\n\t$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false \n");
        let second = tokens.iter().find(|t| t.kind == Variable("mediabypass".into())).unwrap();
        assert_eq!((second.line, second.column), (2, 2));
        assert_eq!(tokens.last().unwrap().kind, End);
    }

    #[test]
    fn strings_single_double_and_escapes() {
        assert_eq!(
            kinds(r#"'it''s' "say ""hi""" "a`tb""#),
            vec![Quoted("it's".into()), Quoted("say \"hi\"".into()), Quoted("a\tb".into())]
        );
        assert_eq!(kinds("\u{201C}curly\u{201D}"), vec![Quoted("curly".into())]);
    }

    #[test]
    fn comma_lists_integers_comments() {
        assert_eq!(
            kinds("Cmd -List a,'b', 3 # a comment, with = signs\n# whole-line comment\n"),
            vec![word("Cmd"), param("List"), word("a"), Comma, Quoted("b".into()), Comma, word("3"), End, End]
        );
    }

    #[test]
    fn backtick_continues_the_line() {
        let (tokens, _) = lex("New-CsNetworkMediaBypassConfiguration `\n    -Enabled $true `\r\n -AlwaysBypass:$true");
        let kinds: Vec<_> = tokens.iter().map(|t| t.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                word("New-CsNetworkMediaBypassConfiguration"),
                param("Enabled"),
                Variable("true".into()),
                Parameter { name: "AlwaysBypass".into(), colon: true },
                Variable("true".into()),
            ]
        );
        assert_eq!((tokens[1].line, tokens[1].column), (2, 5));
        assert_eq!((tokens[3].line, tokens[3].column), (3, 2));
    }

    #[test]
    fn typographic_dashes_start_parameters() {
        assert_eq!(
            kinds("Get-CsNetworkConfiguration \u{2013}LocalStore"),
            vec![word("Get-CsNetworkConfiguration"), param("LocalStore")]
        );
    }

    #[test]
    fn an_unterminated_string_keeps_the_lines_before_it() {
        let (tokens, fault) = lex("Get-CsNetworkConfiguration\nSet-X -Url \"http://x");
        assert_eq!(fault, Some(Fault::at(2, 12, "The string is missing the terminator: \".")));
        assert_eq!(
            tokens.iter().map(|t| t.kind.clone()).collect::<Vec<_>>(),
            vec![word("Get-CsNetworkConfiguration"), End]
        );
        let (_, fault) = lex("X 'abc");
        assert_eq!(fault.unwrap().message, "The string is missing the terminator: '.");
    }

    #[test]
    fn a_pipe_is_a_token_where_it_stands() {
        let (tokens, fault) = lex("Get-CsHybridPSTNAppliance | Format-List");
        assert_eq!(fault, None);
        assert_eq!((tokens[1].kind.clone(), tokens[1].line, tokens[1].column), (TokenKind::Pipe, 1, 27));
    }
}
