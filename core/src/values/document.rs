//! A values file parsed into a tree that remembers where every scalar sits in the source text, so
//! edits can replace exactly those bytes and nothing else.
use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::error::ValuesError;
use super::path::{Segment, ValuePath};
use super::source::SourceIndex;

/// Values files larger than this are refused: a Helm values file is kilobytes, and parsing a huge
/// file into a span tree would cost memory for nothing.
pub const MAX_VALUES_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Document {
    pub file: String,
    pub root: Node,
    /// Anchor id -> lines of the aliases that refer to it.
    pub alias_lines: BTreeMap<usize, Vec<usize>>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Scalar(Scalar),
    Mapping(Mapping),
    Sequence(Sequence),
    Alias { anchor: usize, line: usize, end: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Block,
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub value: String,
    pub style: Style,
    /// Byte range of the scalar's own text in the source (quotes included, anchor and tag excluded).
    pub start: usize,
    pub end: usize,
    /// 1-based line of the scalar.
    pub line: usize,
    pub anchor: Option<usize>,
    pub tagged: bool,
}

#[derive(Debug, Clone)]
pub struct Mapping {
    pub entries: Vec<(Key, Node)>,
    pub line: usize,
    pub anchor: Option<usize>,
    /// Written as `{a: 1, b: 2}` rather than as indented lines.
    pub flow: bool,
    /// Byte just past the mapping's last content: its closing `}` when flow, else the end of its
    /// last key or value (what an inserted key goes after).
    pub end: usize,
}

#[derive(Debug, Clone)]
pub struct Key {
    pub text: String,
    pub line: usize,
    /// 0-based column where the key starts: the indentation a sibling key takes.
    pub column: usize,
    /// Byte just past the key's text.
    pub end: usize,
}

#[derive(Debug, Clone)]
pub struct Sequence {
    pub items: Vec<Node>,
    pub line: usize,
    pub anchor: Option<usize>,
    /// Byte just past the list's last content (its `]` when flow).
    pub end: usize,
}

/// What a path lookup finds.
#[derive(Debug)]
pub enum Lookup<'a> {
    Found(&'a Node),
    /// The path does not exist in the file.
    Missing,
    /// The path may exist through a YAML merge key (`<<`), which kfscale does not edit through.
    ThroughMerge {
        line: usize,
    },
    /// The path passes through an alias (`*name`), which would edit every place sharing it.
    ThroughAlias {
        line: usize,
    },
}

impl Document {
    pub fn parse(file: &str, text: &str) -> Result<Document, ValuesError> {
        if text.len() > MAX_VALUES_BYTES {
            return Err(ValuesError::new(
                file,
                None,
                None,
                format!(
                    "the file is {} bytes, more than the {} a values file may have",
                    text.len(),
                    MAX_VALUES_BYTES
                ),
                "point kfscale at the customer values file (a Helm values file is kilobytes)",
            ));
        }
        let source = SourceIndex::new(text);
        let mut builder = TreeBuilder {
            file,
            text,
            source: &source,
            alias_lines: BTreeMap::new(),
        };
        let root = builder.parse_stream()?;
        Ok(Document {
            file: file.to_string(),
            root,
            alias_lines: builder.alias_lines,
        })
    }

    pub fn lookup(&self, path: &ValuePath) -> Lookup<'_> {
        let mut node = &self.root;
        for segment in &path.0 {
            node = match (node, segment) {
                (Node::Mapping(mapping), Segment::Key(key)) => match mapping.get(key) {
                    Some(child) => child,
                    None => {
                        return match mapping.merge_line() {
                            Some(line) => Lookup::ThroughMerge { line },
                            None => Lookup::Missing,
                        };
                    }
                },
                (Node::Sequence(sequence), Segment::Index(index)) => match sequence.items.get(*index) {
                    Some(child) => child,
                    None => return Lookup::Missing,
                },
                (Node::Alias { line, .. }, _) => return Lookup::ThroughAlias { line: *line },
                _ => return Lookup::Missing,
            };
        }
        Lookup::Found(node)
    }

    /// Every scalar with its path, in document order (keys of mappings are not included).
    pub fn scalars(&self) -> Vec<(ValuePath, &Scalar)> {
        let mut out = Vec::new();
        collect_scalars(&self.root, &ValuePath::default(), &mut out);
        out
    }
}

impl Node {
    pub fn line(&self) -> usize {
        match self {
            Node::Scalar(scalar) => scalar.line,
            Node::Mapping(mapping) => mapping.line,
            Node::Sequence(sequence) => sequence.line,
            Node::Alias { line, .. } => *line,
        }
    }

    /// Byte just past the node's text; `None` for an empty value (`key:` alone), whose span the
    /// parser places at the next token.
    pub fn end(&self) -> Option<usize> {
        match self {
            Node::Scalar(scalar) if scalar.value.is_empty() && scalar.style == Style::Plain => None,
            Node::Scalar(scalar) => Some(scalar.end),
            Node::Mapping(mapping) => Some(mapping.end),
            Node::Sequence(sequence) => Some(sequence.end),
            Node::Alias { end, .. } => Some(*end),
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Node::Scalar(_) => "a scalar",
            Node::Mapping(_) => "a mapping",
            Node::Sequence(_) => "a list",
            Node::Alias { .. } => "an alias",
        }
    }
}

impl Mapping {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|(k, _)| k.text == key).map(|(_, node)| node)
    }

    fn merge_line(&self) -> Option<usize> {
        self.entries.iter().find(|(k, _)| k.text == "<<").map(|(k, _)| k.line)
    }
}

fn collect_scalars<'a>(node: &'a Node, path: &ValuePath, out: &mut Vec<(ValuePath, &'a Scalar)>) {
    match node {
        Node::Scalar(scalar) => out.push((path.clone(), scalar)),
        Node::Mapping(mapping) => {
            for (key, child) in &mapping.entries {
                collect_scalars(child, &path.child_key(&key.text), out);
            }
        }
        Node::Sequence(sequence) => {
            for (index, child) in sequence.items.iter().enumerate() {
                collect_scalars(child, &path.child_index(index), out);
            }
        }
        Node::Alias { .. } => {}
    }
}

struct TreeBuilder<'a> {
    file: &'a str,
    text: &'a str,
    source: &'a SourceIndex<'a>,
    alias_lines: BTreeMap<usize, Vec<usize>>,
}

type Parsed<'input> = (Event<'input>, Span);

impl<'a> TreeBuilder<'a> {
    fn parse_stream(&mut self) -> Result<Node, ValuesError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut root: Option<Node> = None;
        let mut documents = 0;
        loop {
            let (event, span) = self.next(&mut parser)?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        return Err(self.error_at(
                            span.start.line(),
                            None,
                            "the file holds more than one YAML document (a second `---`)",
                            "a Helm values file is one document: remove the extra `---` section",
                        ));
                    }
                }
                other => {
                    let node = self.parse_node(&mut parser, other, span, &ValuePath::default())?;
                    root = Some(node);
                }
            }
        }
        match root {
            Some(node @ Node::Mapping(_)) => Ok(node),
            Some(Node::Scalar(scalar)) if scalar.value.is_empty() && scalar.style == Style::Plain => {
                Ok(empty_mapping())
            }
            None => Ok(empty_mapping()),
            Some(other) => Err(self.error_at(
                other.line(),
                None,
                &format!("the top level of the file is {}, not a mapping of keys", other.kind()),
                "a Helm values file starts with keys such as `global:`",
            )),
        }
    }

    fn next<'input>(
        &self,
        parser: &mut Parser<'input, saphyr_parser::StrInput<'input>>,
    ) -> Result<Parsed<'input>, ValuesError> {
        match parser.next_event() {
            Some(Ok(parsed)) => Ok(parsed),
            Some(Err(err)) => Err(self.error_at(
                err.marker().line(),
                Some(err.marker().col() + 1),
                &format!("YAML syntax error: {}", err.info()),
                "fix the YAML syntax at that line (check indentation, quotes and colons)",
            )),
            None => Err(self.error_at(
                0,
                None,
                "the YAML ended unexpectedly",
                "check that the file is complete",
            )),
        }
    }

    fn parse_node<'input>(
        &mut self,
        parser: &mut Parser<'input, saphyr_parser::StrInput<'input>>,
        event: Event<'input>,
        span: Span,
        path: &ValuePath,
    ) -> Result<Node, ValuesError> {
        let line = span.start.line();
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let (start, mut end) = self.scalar_bytes(&span, anchor != 0, tag.is_some());
                if let Some(close) = quoted_end(&self.text[start..end], style) {
                    end = start + close;
                }
                Ok(Node::Scalar(Scalar {
                    value: value.into_owned(),
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        _ => Style::Block,
                    },
                    start,
                    end,
                    line,
                    anchor: (anchor != 0).then_some(anchor),
                    tagged: tag.is_some(),
                }))
            }
            Event::Alias(anchor) => {
                self.alias_lines.entry(anchor).or_default().push(line);
                let end = self.source.byte_offset(span.end.index());
                Ok(Node::Alias { anchor, line, end })
            }
            Event::SequenceStart(anchor, _) => {
                let flow = self.opens_flow(&span, '[');
                let mut items = Vec::new();
                let close = loop {
                    let (event, span) = self.next(parser)?;
                    if matches!(event, Event::SequenceEnd) {
                        break span;
                    }
                    let child_path = path.child_index(items.len());
                    items.push(self.parse_node(parser, event, span, &child_path)?);
                };
                let last = items.iter().rev().find_map(Node::end);
                let end = if flow {
                    self.source.byte_offset(close.end.index())
                } else {
                    last.unwrap_or_else(|| self.source.byte_offset(span.end.index()))
                };
                Ok(Node::Sequence(Sequence {
                    items,
                    line,
                    anchor: (anchor != 0).then_some(anchor),
                    end,
                }))
            }
            Event::MappingStart(anchor, _) => {
                let flow = self.opens_flow(&span, '{');
                let mut entries: Vec<(Key, Node)> = Vec::new();
                let close = loop {
                    let (event, key_span) = self.next(parser)?;
                    let key_text = match event {
                        Event::MappingEnd => break key_span,
                        Event::Scalar(value, ..) => value.into_owned(),
                        _ => {
                            return Err(self.error_at(
                                key_span.start.line(),
                                None,
                                &format!("a mapping key under `{path}` is not a plain key (a list, mapping or alias used as a key)"),
                                "use plain text keys",
                            ));
                        }
                    };
                    let key = Key {
                        text: key_text,
                        line: key_span.start.line(),
                        column: key_span.start.col(),
                        end: self.source.byte_offset(key_span.end.index()),
                    };
                    let child_path = path.child_key(&key.text);
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == key.text) {
                        return Err(self.error_at(
                            key.line,
                            None,
                            &format!("duplicate key `{child_path}` (first defined at line {})", first.line),
                            "remove one of the two definitions: Helm keeps only one of them silently",
                        ));
                    }
                    let (event, span) = self.next(parser)?;
                    let value = self.parse_node(parser, event, span, &child_path)?;
                    entries.push((key, value));
                };
                let end = if flow {
                    self.source.byte_offset(close.end.index())
                } else {
                    entries
                        .last()
                        .map(|(key, value)| value.end().unwrap_or(key.end))
                        .unwrap_or_else(|| self.source.byte_offset(span.end.index()))
                };
                Ok(Node::Mapping(Mapping {
                    entries,
                    line,
                    anchor: (anchor != 0).then_some(anchor),
                    flow,
                    end,
                }))
            }
            other => Err(self.error_at(
                line,
                None,
                &format!("unexpected YAML event {other:?} under `{path}`"),
                "check the YAML structure at that line",
            )),
        }
    }

    /// The parser's span of an anchored or tagged scalar starts at the `&anchor` / `!tag`; the
    /// scalar's own text is what follows those properties.
    fn scalar_bytes(&self, span: &Span, anchored: bool, tagged: bool) -> (usize, usize) {
        let start = self.source.byte_offset(span.start.index());
        let end = self.source.byte_offset(span.end.index());
        if !anchored && !tagged {
            return (start, end);
        }
        let raw = &self.text[start..end];
        let mut offset = 0;
        let mut rest = raw;
        while rest.starts_with('&') || rest.starts_with('!') {
            let property_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let after = &rest[property_len..];
            let trimmed = after.trim_start();
            offset += property_len + (after.len() - trimmed.len());
            rest = trimmed;
        }
        (start + offset, end)
    }

    /// Whether the collection whose start event has `span` is written in flow style (`{` / `[`),
    /// past any `&anchor` or `!tag` in front of it.
    fn opens_flow(&self, span: &Span, bracket: char) -> bool {
        let start = self.source.byte_offset(span.start.index());
        let mut rest = self.text[start..].trim_start();
        while rest.starts_with('&') || rest.starts_with('!') {
            let property_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = rest[property_len..].trim_start();
        }
        rest.starts_with(bracket)
    }

    fn error_at(&self, line: usize, column: Option<usize>, message: &str, fix: &str) -> ValuesError {
        ValuesError::new(self.file, (line > 0).then_some(line), column, message.to_string(), fix)
    }
}

/// The parser's span of a quoted scalar can run on over trailing blanks and a comment; the scalar
/// ends at its closing quote. Returns the byte length up to and including that quote.
fn quoted_end(raw: &str, style: ScalarStyle) -> Option<usize> {
    let bytes = raw.as_bytes();
    match style {
        ScalarStyle::DoubleQuoted => {
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        ScalarStyle::SingleQuoted => {
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        _ => None,
    }
}

fn empty_mapping() -> Node {
    Node::Mapping(Mapping {
        entries: Vec::new(),
        line: 1,
        anchor: None,
        flow: false,
        end: 0,
    })
}
