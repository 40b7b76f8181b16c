//! An entry's text: plain lines with a little structure, the way people write
//! it in a sheet cell or a text box.
//!
//! - a line starting `# ` is a heading;
//! - a line starting `- `, `· ` or `• ` is a list item;
//! - any other line is a paragraph (blank lines separate nothing more);
//! - `[[ZS000123]]` links to another entry, `[[ZS000123|低保申请条件]]` with its
//!   own text.

use serde::Serialize;

/// A piece of a line: text, or a link to another entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Span {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A link to another entry.
    Link {
        /// The entry linked to.
        id: String,
        /// The link's own text (empty: show the entry's title).
        text: String,
    },
}

/// What kind of line a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A heading.
    Heading,
    /// A paragraph.
    Paragraph,
    /// A list item.
    Item,
}

/// One line of an entry's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    /// Heading, paragraph or list item.
    pub kind: BlockKind,
    /// Its text and links.
    pub spans: Vec<Span>,
}

impl Block {
    /// The block's text as read, links by their own text (or id).
    pub fn plain(&self) -> String {
        self.spans
            .iter()
            .map(|s| match s {
                Span::Text { text } => text.as_str(),
                Span::Link { id, text } if text.is_empty() => id.as_str(),
                Span::Link { text, .. } => text.as_str(),
            })
            .collect()
    }
}

/// The blocks of `body`, in order; empty lines are left out.
pub fn blocks(body: &str) -> Vec<Block> {
    body.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() {
                return None;
            }
            let (kind, rest) = if let Some(rest) = line.strip_prefix("# ") {
                (BlockKind::Heading, rest)
            } else if let Some(rest) = ["- ", "· ", "• "].iter().find_map(|p| line.strip_prefix(p))
            {
                (BlockKind::Item, rest)
            } else {
                (BlockKind::Paragraph, line)
            };
            Some(Block {
                kind,
                spans: spans(rest.trim()),
            })
        })
        .collect()
}

/// The text and links of one line. A `[[` without its `]]` is text.
pub fn spans(line: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("[[") {
        let Some(len) = rest[start + 2..].find("]]") else {
            break;
        };
        if start > 0 {
            out.push(Span::Text {
                text: rest[..start].to_owned(),
            });
        }
        let inner = &rest[start + 2..start + 2 + len];
        let (id, text) = inner.split_once('|').unwrap_or((inner, ""));
        out.push(Span::Link {
            id: id.trim().to_owned(),
            text: text.trim().to_owned(),
        });
        rest = &rest[start + 2 + len + 2..];
    }
    if !rest.is_empty() {
        out.push(Span::Text {
            text: rest.to_owned(),
        });
    }
    out
}

/// The ids `body` links to, in order of first appearance, each once.
pub fn links(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for block in blocks(body) {
        for span in block.spans {
            if let Span::Link { id, .. } = span
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
    }
    out
}

/// The text of `body` as searched and shown in passages: each block's plain
/// text, one per line.
pub fn plain_text(body: &str) -> String {
    blocks(body)
        .iter()
        .map(Block::plain)
        .collect::<Vec<_>>()
        .join("\n")
}
